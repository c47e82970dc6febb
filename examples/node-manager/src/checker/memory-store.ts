// The in-memory twin of the stores: same contract, no durability. For tests and throwaway runs.
import { errors } from '../errors.ts'
import type { NodeRecord } from './node-config.ts'
import type { HealthResult, NodeStore, StoredNode } from './store.ts'

export function createMemoryStore(): NodeStore {
  const nodes = new Map<string, StoredNode>()
  let closed = false
  const open = () => {
    if (closed) throw errors.storeClosed('memory')
  }
  return {
    kind: 'memory',
    async list() {
      open()
      return [...nodes.values()].map((node) => structuredClone(node))
    },
    async put(node: NodeRecord) {
      open()
      nodes.set(node.id, structuredClone(node))
    },
    async remove(id: string) {
      open()
      return nodes.delete(id)
    },
    async setHealth(results: readonly HealthResult[]) {
      open()
      for (const { id, hash, health } of results) {
        const node = nodes.get(id)
        if (node && node.hash === hash) node.health = structuredClone(health)
      }
    },
    async replaceAll(records: readonly NodeRecord[]) {
      open()
      nodes.clear()
      for (const record of records) nodes.set(record.id, structuredClone(record))
    },
    async close() {
      closed = true
    },
  }
}
