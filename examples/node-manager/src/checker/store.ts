// The store contract: node records plus the latest health of each, kept apart so a check writing
// health can never overwrite a config change made while it ran.
import type { NodeRecord } from './node-config.ts'

export type NodeStatus = 'online' | 'offline' | 'lagging'

/** The outcome of the latest check of one node. */
export interface NodeHealth {
  status: NodeStatus
  /** Block height the node reported; null when it did not answer. */
  block: number | null
  /** Round-trip time of the probe in ms; null when it did not answer. */
  latencyMs: number | null
  /** Why the node is offline (or null). */
  error: string | null
  errorCode: string | null
  /** ISO time the probe finished. */
  checkedAt: string
}

export interface StoredNode extends NodeRecord {
  /** Absent until the node's first check, and again after its config changes. */
  health?: NodeHealth
}

export interface HealthResult {
  id: string
  /** The hash of the config that was probed. */
  hash: string
  health: NodeHealth
}

export interface NodeStore {
  readonly kind: 'file' | 'redis' | 'memory'
  list(): Promise<StoredNode[]>
  /** Inserts or replaces a node's record; drops its health, which described the old config. */
  put(node: NodeRecord): Promise<void>
  /** Returns false if there was no such node. */
  remove(id: string): Promise<boolean>
  /**
   * Records check results. A result is dropped when its node was removed or its config changed
   * (different hash) while the check ran: that health described an endpoint that no longer exists.
   */
  setHealth(results: readonly HealthResult[]): Promise<void>
  /** Atomically replaces every node (bootstrap reload). */
  replaceAll(nodes: readonly NodeRecord[]): Promise<void>
  close(): Promise<void>
}
