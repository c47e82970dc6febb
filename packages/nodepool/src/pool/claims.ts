// Claim and confirm a run in the store (see claims/run-claim.ts). The per-run claim settles what the gate
// cannot: a node paused between its local check and its request, clocks, different views.

import type { EventEmitter } from 'eventemitter3'
import type { RunClaim } from '../claims/run-claim.js'
import type { ConfirmResult, PoolDriver } from '../drivers/driver.js'
import type { PoolError } from '../errors.js'
import { toPoolError, withTimeout } from './driver-call.js'
import type { ClaimAttempt, ClaimOptions, NodePoolEvents } from './types.js'

export interface ClaimsOptions {
  service: string
  nodeId: string
  driver: PoolDriver
  claimTtlMs: number
  maxClaimLatenessMs: number
  requestTimeoutMs: number
  wall: () => number
  /** Where `error` is emitted (the NodePool). */
  events: EventEmitter<NodePoolEvents>
}

export class PoolClaims {
  readonly #o: ClaimsOptions

  constructor(options: ClaimsOptions) {
    this.#o = options
  }

  // Asks the store for the claim; the caller has checked eligibility and holds `lease`.
  async take(job: string, slot: number | string, options: ClaimOptions, lease: string): Promise<ClaimAttempt> {
    const o = this.#o
    if (options.scheduledAt !== undefined && o.wall() - options.scheduledAt > o.maxClaimLatenessMs) {
      return { ok: false, reason: 'late' }
    }
    const slotKey = String(slot)
    try {
      const r = await withTimeout(
        o.driver.claim(
          {
            service: o.service,
            job,
            slot: slotKey,
            nodeId: o.nodeId,
            lease,
            ttlMs: options.ttlMs ?? o.claimTtlMs,
          },
          { timeoutMs: o.requestTimeoutMs },
        ),
        o.requestTimeoutMs,
        'claim',
      )
      if (!r.ok) return { ok: false, reason: r.reason }
      return { ok: true, claim: { job, slot: slotKey, token: r.token, nodeId: o.nodeId, lease } }
    } catch (err) {
      const error = toPoolError(err, 'claim')
      o.events.emit('error', error)
      return { ok: false, reason: 'error', error }
    }
  }

  async check(claim: RunClaim): Promise<ConfirmResult | { ok: false; reason: 'error'; error: PoolError }> {
    const o = this.#o
    try {
      return await withTimeout(
        o.driver.confirm(
          {
            service: o.service,
            job: claim.job,
            slot: claim.slot,
            nodeId: claim.nodeId,
            lease: claim.lease,
            token: claim.token,
          },
          { timeoutMs: o.requestTimeoutMs },
        ),
        o.requestTimeoutMs,
        'confirm',
      )
    } catch (err) {
      const error = toPoolError(err, 'confirm')
      o.events.emit('error', error)
      return { ok: false, reason: 'error', error }
    }
  }
}
