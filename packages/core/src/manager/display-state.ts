// The state shown to people: a `closed` service is explained (crashed, restarting, failed, stopped).

import type { ServiceNode } from '../node/service-node.js'
import type { DisplayState } from '../protocol/snapshot.js'

export function displayState(node: ServiceNode): DisplayState {
  if (node.state !== 'closed') return node.state
  if (node.failed) return 'failed'
  if (node.restarting) return 'restarting'
  if (node.pending) return 'pending'
  if (node.stopped) return 'stopped'
  const reason = node.lastExit?.reason
  if (reason === 'completed') return 'completed' // a one-shot closed with the graph: what it did still holds
  if (reason === 'crashed' || reason === 'start-failed' || reason === 'unhealthy' || reason === 'lost-channel') return 'crashed'
  return 'closed'
}
