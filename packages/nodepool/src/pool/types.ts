// The pool's public vocabulary: states, eligibility answers, claim results and events.

import type { RunClaim } from '../claims/run-claim.js'
import type { PoolError } from '../errors.js'

export type PoolState = 'steady' | 'upgrading'

export type IneligibleReason = 'not-running' | 'upgrading' | 'fenced' | 'not-owner'

export type Eligibility =
  | { eligible: true }
  | { eligible: false; reason: IneligibleReason; owner?: string | undefined }

/** Why `tryClaim` did not get a claim. */
export type ClaimRefusal =
  | IneligibleReason
  /** `scheduledAt` is further in the past than `maxClaimLatenessMs`. */
  | 'late'
  /** The store says the slot is claimed already. */
  | 'taken'
  /** The store says this node's lease is not live (it expired, or the store lost its data). */
  | 'lease'
  /** The store could not be asked (see `error`). */
  | 'error'

export type ClaimAttempt = { ok: true; claim: RunClaim } | { ok: false; reason: ClaimRefusal; error?: PoolError }

export interface ClaimOptions {
  /**
   * When the slot was due, in ms since the epoch by this node's clock. With it, a claim more than
   * `maxClaimLatenessMs` late is refused (reason `late`): this is what keeps a slot that ran just before
   * Redis lost its data from being claimed again after.
   */
  scheduledAt?: number
  /** Lifetime of this run's claim in the store. Default: the pool's `claimTtlMs`. */
  ttlMs?: number
}

export interface MembershipChange {
  /** Live members now, sorted. */
  nodes: string[]
  added: string[]
  removed: string[]
  /** This node's own registration had to be recreated (expired, or the store lost its data). */
  reregistered: boolean
}

export interface NodePoolEvents {
  /** A node appeared in the membership. */
  join: (nodeId: string) => void
  /** A node left the membership (deregistered or expired). */
  leave: (nodeId: string) => void
  /** Any membership change, including this node re-registering. */
  membership: (change: MembershipChange) => void
  /** `steady` <-> `upgrading`. */
  state: (state: PoolState) => void
  /** This node stopped taking work on its own: no successful renewal for more than `ttlMs / 2`. */
  fenced: () => void
  /** A renewal succeeded again after `fenced`. */
  unfenced: () => void
  /** A heartbeat, claim or deregistration failed; the pool keeps going. */
  error: (error: PoolError) => void
}
