// The checker's callable API, independent of the framework: the service module wires a store and
// config into it, and tests drive it directly.
import { performance } from 'node:perf_hooks'
import { debuglog } from 'node:util'
import { errors } from '../errors.ts'
import { describeStatuses, pickBestNode } from './best-node.ts'
import { checkNodes } from './check.ts'
import { isNodeType, NODE_TYPES, type NodeConfig, type NodeRecord, type NodeType } from './node-config.ts'
import { readNodesFile } from './nodes-file.ts'
import { Registry } from './registry.ts'
import type { NodeHealth, NodeStore, StoredNode } from './store.ts'

const debug = debuglog('svc:nm:checker')

export interface CheckerOptions {
  store: NodeStore
  nodesFile: string
  lagBlocks: number
  checkTimeoutMs: number
  /** Aborts in-flight probes when the service closes. */
  signal?: AbortSignal
}

/** A node as listed: `pass` is masked, since listings end up in logs and dashboards. */
export interface NodeView {
  id: string
  hash: string
  type: NodeType
  config: Omit<NodeConfig, 'pass'> & { pass?: '***' }
  /** null until the node's first check (and after its config changes). */
  health: NodeHealth | null
}

/** A node handed to a client that will connect to it: full credentials. */
export interface NodeDetails extends NodeRecord {
  health: NodeHealth | null
}

export interface CheckReport {
  checkedAt: string
  durationMs: number
  nodes: Array<{ id: string; type: NodeType } & NodeHealth>
  /** Id of the best node per type after this check, or null. */
  best: Record<NodeType, string | null>
}

export function createChecker(options: CheckerOptions) {
  const registry = new Registry(options.store)
  let inFlight: Promise<CheckReport> | undefined

  async function runCheck(): Promise<CheckReport> {
    const started = performance.now()
    const nodes = await registry.list()
    const results = await checkNodes(nodes, {
      lagBlocks: options.lagBlocks,
      maxTimeoutMs: options.checkTimeoutMs,
      signal: options.signal,
    })
    await options.store.setHealth(results)
    const after = await registry.list()
    const best = { btc: null, ltc: null, eth: null } as Record<NodeType, string | null>
    for (const type of Object.keys(best) as NodeType[]) best[type] = pickBestNode(after, type)?.id ?? null
    const byId = new Map(nodes.map((node) => [node.id, node.type]))
    const report: CheckReport = {
      checkedAt: results[0]?.health.checkedAt ?? new Date().toISOString(),
      durationMs: Math.round(performance.now() - started),
      nodes: results.map(({ id, health }) => ({ id, type: byId.get(id)!, ...health })),
      best,
    }
    debug('check of %d nodes in %d ms; best %o', nodes.length, report.durationMs, best)
    return report
  }

  const api = {
    /** Reloads the nodes file into the store, replacing every node. */
    async bootstrap(): Promise<{ loaded: number; file: string }> {
      const { nodes, hash } = await readNodesFile(options.nodesFile)
      const { records } = await registry.replaceAll(nodes, hash)
      return { loaded: records.length, file: options.nodesFile }
    },
    async addNode(node: unknown): Promise<NodeView> {
      return view(await registry.add(node))
    },
    async rmNode(idOrHash: string): Promise<NodeView> {
      return view(await registry.remove(idOrHash))
    },
    async updateNode(idOrHash: string, patch: unknown): Promise<NodeView> {
      return view(await registry.update(idOrHash, patch))
    },
    async getNodes(type?: NodeType | NodeTypeParam): Promise<NodeView[]> {
      return (await registry.list(type === undefined ? undefined : nodeTypeParam('getNodes', type))).map(view)
    },
    async getNodeConfig(idOrHash: string): Promise<NodeDetails> {
      const { health, ...record } = await registry.get(idOrHash)
      return { ...record, health: health ?? null }
    },
    /** The online node of `type` with the highest block, then the lowest latency, as of the last check. */
    async getBestNode(type: NodeType | NodeTypeParam): Promise<NodeDetails> {
      const wanted = nodeTypeParam('getBestNode', type)
      const nodes = await registry.list()
      const best = pickBestNode(nodes, wanted)
      if (!best) throw errors.noOnlineNode(wanted, describeStatuses(nodes, wanted))
      return best
    },
    /** Probes every node now. Calls made while a check runs share its result. */
    check(): Promise<CheckReport> {
      inFlight ??= runCheck().finally(() => {
        inFlight = undefined
      })
      return inFlight
    },
  }

  return {
    api,
    /**
     * Start: load the nodes file into an empty store, or again when the file changed since the store was loaded from
     * it (e.g. other simulator ports). A reload keeps the nodes added at run time, unless the file now has their id
     * or config. Undefined when the store already holds this file's nodes.
     */
    async bootstrapIfStale(): Promise<BootstrapResult | undefined> {
      const { nodes, hash } = await readNodesFile(options.nodesFile)
      const stored = await registry.list()
      if (stored.some((node) => node.fromFile === hash)) return undefined
      const reason = stored.length === 0 ? 'empty' : 'file changed'
      const { records, kept } = await registry.replaceAll(nodes, hash, true)
      debug('bootstrap (%s): %d nodes from %s, %d added at run time kept', reason, records.length, options.nodesFile, kept.length)
      return { loaded: records.length, file: options.nodesFile, reason, kept: kept.length, dropped: stored.length - kept.length }
    },
  }
}

export interface BootstrapResult {
  loaded: number
  file: string
  /** 'empty': a cold start. 'file changed': no stored node came from this version of the file. */
  reason: 'empty' | 'file changed'
  /** Nodes added at run time and kept. */
  kept: number
  /** Stored nodes replaced by the file's. */
  dropped: number
}

export type CheckerApi = ReturnType<typeof createChecker>['api']

function view(node: StoredNode | NodeRecord): NodeView {
  const { pass, ...config } = node.config
  return {
    id: node.id,
    hash: node.hash,
    type: node.type,
    config: pass === undefined ? config : { ...config, pass: '***' },
    health: ('health' in node && node.health) || null,
  }
}

/** pg_nm's clients send the type alone (`["btc"]`) or as an object (`{ "node_type": "btc" }`). */
export interface NodeTypeParam {
  node_type: NodeType
}

function nodeTypeParam(method: string, value: unknown): NodeType {
  const type = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as { node_type?: unknown }).node_type : value
  if (isNodeType(type)) return type
  throw errors.invalidParams(method, `expected a node type (${NODE_TYPES.join(', ')}) or { "node_type": … }, got ${JSON.stringify(value) ?? 'nothing'}.`)
}
