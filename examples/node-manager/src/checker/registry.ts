// The node registry: ids, duplicate rules and lookups by id or hash, on top of a NodeStore.
// Mutations run one at a time so "is this a duplicate?" and "write it" cannot interleave.
import { errors } from '../errors.ts'
import {
  applyPatch,
  nodeHash,
  parseNodeInput,
  parseNodeType,
  type NodeConfig,
  type NodeRecord,
  type NodeType,
} from './node-config.ts'
import type { NodeStore, StoredNode } from './store.ts'

export interface ParsedNode {
  id?: string
  type: NodeType
  config: NodeConfig
}

export class Registry {
  private mutations: Promise<unknown> = Promise.resolve()

  constructor(readonly store: NodeStore) {}

  async list(type?: unknown): Promise<StoredNode[]> {
    const wanted = type === undefined || type === null ? undefined : parseNodeType(type)
    const nodes = await this.store.list()
    return nodes
      .filter((node) => wanted === undefined || node.type === wanted)
      .sort((a, b) => a.type.localeCompare(b.type) || a.id.localeCompare(b.id))
  }

  async get(idOrHash: unknown): Promise<StoredNode> {
    return find(await this.store.list(), idOrHash)
  }

  add(raw: unknown): Promise<NodeRecord> {
    const parsed = parseNodeInput(raw)
    return this.mutate(async () => {
      const nodes = await this.store.list()
      const record = toRecord(parsed, nodes)
      await this.store.put(record)
      return record
    })
  }

  update(idOrHash: unknown, patch: unknown): Promise<NodeRecord> {
    return this.mutate(async () => {
      const nodes = await this.store.list()
      const current = find(nodes, idOrHash)
      const config = applyPatch(current.config, patch)
      const hash = nodeHash(current.type, config)
      const twin = nodes.find((node) => node.hash === hash && node.id !== current.id)
      if (twin) throw errors.duplicateNode(twin.id, hash)
      const record: NodeRecord = { id: current.id, hash, type: current.type, config }
      await this.store.put(record)
      return record
    })
  }

  remove(idOrHash: unknown): Promise<NodeRecord> {
    return this.mutate(async () => {
      const { health: _health, ...record } = find(await this.store.list(), idOrHash)
      await this.store.remove(record.id)
      return record
    })
  }

  // Replaces every node with `parsed` (already validated), marked as loaded from file `fromFile`. With `keepAdded`,
  // nodes added at run time stay unless the file now has their id or config. Health survives for unchanged nodes.
  replaceAll(parsed: readonly ParsedNode[], fromFile?: string, keepAdded = false): Promise<{ records: NodeRecord[]; kept: NodeRecord[] }> {
    return this.mutate(async () => {
      const before = await this.store.list()
      const records: NodeRecord[] = []
      for (const node of parsed) records.push({ ...toRecord(node, records), ...(fromFile ? { fromFile } : {}) })
      const kept = keepAdded
        ? before
            .filter((n) => n.fromFile === undefined && !records.some((r) => r.id === n.id || r.hash === n.hash))
            .map(({ health: _health, ...record }) => record)
        : []
      await this.store.replaceAll([...records, ...kept])
      await this.store.setHealth(before.flatMap(({ id, hash, health }) => (health ? [{ id, hash, health }] : [])))
      return { records, kept }
    })
  }

  private mutate<T>(task: () => Promise<T>): Promise<T> {
    const run = this.mutations.then(task, task)
    this.mutations = run.catch(() => undefined)
    return run
  }
}

// Exact id first, then exact hash: ids are short and chosen by people, hashes are what configs are known by.
function find(nodes: readonly StoredNode[], idOrHash: unknown): StoredNode {
  if (typeof idOrHash !== 'string' || idOrHash === '') {
    throw errors.invalidNode('idOrHash', `expected a node id or hash string, got ${JSON.stringify(idOrHash) ?? 'nothing'}.`)
  }
  const node = nodes.find((n) => n.id === idOrHash) ?? nodes.find((n) => n.hash === idOrHash.toLowerCase())
  if (!node) throw errors.nodeNotFound(idOrHash)
  return node
}

// Builds a record, refusing a second node with the same config or id. Without an explicit id the id
// is derived from the hash, so loading the same file twice yields the same ids.
function toRecord(parsed: ParsedNode, existing: readonly NodeRecord[]): NodeRecord {
  const hash = nodeHash(parsed.type, parsed.config)
  const twin = existing.find((node) => node.hash === hash)
  if (twin) throw errors.duplicateNode(twin.id, hash)
  const taken = new Set(existing.map((node) => node.id))
  if (parsed.id !== undefined && taken.has(parsed.id)) throw errors.duplicateId(parsed.id)
  let id = parsed.id ?? `${parsed.type}-${hash.slice(0, 8)}`
  for (let n = 2; taken.has(id); n++) id = `${parsed.type}-${hash.slice(0, 8)}-${n}`
  return { id, hash, type: parsed.type, config: parsed.config }
}
