// Choosing the node to send traffic to: online only, highest block first, then lowest latency.
import type { NodeType } from './node-config.ts'
import type { NodeHealth, StoredNode } from './store.ts'

export type CheckedNode = StoredNode & { health: NodeHealth }

export function pickBestNode(nodes: readonly StoredNode[], type: NodeType): CheckedNode | undefined {
  const candidates = nodes.filter(
    (node): node is CheckedNode => node.type === type && node.health?.status === 'online',
  )
  // The id breaks exact ties so the answer is stable between calls.
  candidates.sort(
    (a, b) =>
      b.health.block! - a.health.block! || a.health.latencyMs! - b.health.latencyMs! || a.id.localeCompare(b.id),
  )
  return candidates[0]
}

/** "2 offline, 1 lagging, 1 unchecked" — says why no node qualified. */
export function describeStatuses(nodes: readonly StoredNode[], type: NodeType): string {
  const ofType = nodes.filter((node) => node.type === type)
  if (ofType.length === 0) return `no "${type}" nodes registered`
  const counts = new Map<string, number>()
  for (const node of ofType) {
    const status = node.health?.status ?? 'unchecked'
    counts.set(status, (counts.get(status) ?? 0) + 1)
  }
  return [...counts].map(([status, count]) => `${count} ${status}`).join(', ')
}
