// What a NodePool needs from a shared store. Two implementations: MemoryDriver (one process) and RedisDriver.
//
// Every time that decides liveness or claim expiry is taken from the store's own clock (Redis TIME / PX), never
// from the caller's clock: nodes only say "I am alive for ttlMs from now, by your clock".

export interface HeartbeatRequest {
  service: string
  nodeId: string
  /** Random per process start: tells this process apart from another one that took the same node id. */
  instance: string
  /** The lease this node last got back, or null on the first heartbeat. */
  lease: string | null
  ttlMs: number
}

export type HeartbeatResult =
  | {
      ok: true
      /** The lease now held: the same as the request's when renewed, a new one when registered afresh. */
      lease: string
      /**
       * True when the registration was (re)created rather than renewed: first start, after this node's key
       * expired (a long pause, a partition) or after the store lost its data (Redis restarted without
       * persistence).
       */
      fresh: boolean
      /** Live node ids, by the store's clock, sorted. Includes the caller. */
      nodes: string[]
      /** The store's clock at the heartbeat, in ms (informational). */
      serverTimeMs: number
    }
  | { ok: false; reason: 'conflict'; holder: string }

export interface ClaimRequest {
  service: string
  job: string
  slot: string
  nodeId: string
  lease: string
  /** How long the run claim lives in the store. */
  ttlMs: number
}

export type ClaimResult =
  | { ok: true; token: number }
  /** `taken`: someone claimed this slot already. `lease`: the caller's lease is not live any more. */
  | { ok: false; reason: 'taken' | 'lease' }

export interface ConfirmRequest {
  service: string
  job: string
  slot: string
  nodeId: string
  lease: string
  token: number
}

export type ConfirmResult =
  | { ok: true }
  /**
   * `expired`: the run claim is gone (claim TTL passed, or the store lost its data). `superseded`: the slot is
   * held by another claim. `lease`: the claim is intact but the node's lease lapsed since (it was considered
   * dead, so its late work must not count).
   */
  | { ok: false; reason: 'expired' | 'superseded' | 'lease' }

export interface PoolDriver {
  readonly kind: string
  /** Registers or renews `nodeId` for `ttlMs` (store clock) and lists live members, atomically. */
  heartbeat(request: HeartbeatRequest, options?: CallOptions): Promise<HeartbeatResult>
  /** Live members by the store's clock, sorted. */
  members(service: string, options?: CallOptions): Promise<string[]>
  /** Removes the registration if it still holds `lease`. */
  deregister(service: string, nodeId: string, lease: string, options?: CallOptions): Promise<void>
  /**
   * Takes the per-run claim of `job` at `slot` if the slot is free and `lease` is live, and returns a fencing
   * token greater than every token issued before for this job (atomically: no two callers get the slot).
   */
  claim(request: ClaimRequest, options?: CallOptions): Promise<ClaimResult>
  /** Checks that a claim still holds at the end of a run (see ConfirmResult). */
  confirm(request: ConfirmRequest, options?: CallOptions): Promise<ConfirmResult>
  /** Calls `listener` when the connection to the store comes back (so the pool re-registers at once). */
  onReconnect?(listener: () => void): () => void
  /** Frees what the driver itself created (connections). */
  close?(): Promise<void>
}

export interface CallOptions {
  /** Give up after this long (a command not yet sent is then never sent). */
  timeoutMs?: number
}
