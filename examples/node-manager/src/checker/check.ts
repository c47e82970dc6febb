// A check round: probe every node at once, then grade each answer against the best of its type.
import type { NodeRecord, NodeType } from './node-config.ts'
import { probeNode, type ProbeResult } from './rpc-probe.ts'
import type { HealthResult, NodeHealth } from './store.ts'

export const DEFAULT_LAG_BLOCKS = 2

export interface CheckOptions {
  /** A node more than this many blocks behind the best of its type is `lagging`. */
  lagBlocks: number
  /** Upper bound for any single probe, whatever the node's own timeoutMs. */
  maxTimeoutMs: number
  signal?: AbortSignal
}

export interface ProbedNode {
  node: NodeRecord
  probe: ProbeResult
}

export async function checkNodes(nodes: readonly NodeRecord[], options: CheckOptions): Promise<HealthResult[]> {
  const probed = await Promise.all(
    nodes.map(async (node) => ({
      node,
      probe: await probeNode(node, {
        timeoutMs: Math.min(node.config.timeoutMs, options.maxTimeoutMs),
        signal: options.signal,
      }),
    })),
  )
  return grade(probed, options.lagBlocks, new Date())
}

// Pure status rules: offline if the probe failed; lagging if it answered but is more than `lagBlocks`
// behind the highest answering node of the same type; online otherwise.
export function grade(probed: readonly ProbedNode[], lagBlocks: number, at: Date): HealthResult[] {
  const bestHeight = new Map<NodeType, number>()
  for (const { node, probe } of probed) {
    if (probe.ok) bestHeight.set(node.type, Math.max(bestHeight.get(node.type) ?? -1, probe.block))
  }
  const checkedAt = at.toISOString()
  return probed.map(({ node, probe }) => {
    const health: NodeHealth = probe.ok
      ? {
          status: bestHeight.get(node.type)! - probe.block > lagBlocks ? 'lagging' : 'online',
          block: probe.block,
          latencyMs: probe.latencyMs,
          error: null,
          errorCode: null,
          checkedAt,
        }
      : { status: 'offline', block: null, latencyMs: null, error: probe.error.message, errorCode: probe.error.code, checkedAt }
    return { id: node.id, hash: node.hash, health }
  })
}
