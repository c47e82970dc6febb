// NodePool: membership by heartbeat, a consistent-hash ring over the live members, and a steady/upgrading
// gate so that a job never has two owners while the ring changes. It composes:
//
//   - heartbeat.ts: renews the registration every `heartbeatMs` and reads the live members in the same
//     atomic step; self-fences when the last successful renewal was sent more than `ttlMs / 2` ago.
//   - membership-gate.ts: the ring over those members, `upgrading` from a change until the members have been
//     the same for `stableMs`, then `steady`.
//   - claims.ts: `claim(job, slot)` adds the per-run claim in the store (see claims/run-claim.ts), which
//     settles what the gate cannot (a node paused between its local check and its request, clocks,
//     different views).

import { EventEmitter } from 'eventemitter3'
import type { RunClaim } from '../claims/run-claim.js'
import type { ConfirmResult, PoolDriver } from '../drivers/driver.js'
import { PoolError, PoolErrorCode } from '../errors.js'
import { PoolClaims } from './claims.js'
import { toPoolError } from './driver-call.js'
import { Heartbeat, nodeIdConflict } from './heartbeat.js'
import { MembershipGate } from './membership-gate.js'
import { resolveOptions, type NodePoolOptions } from './options.js'
import type { ClaimAttempt, ClaimOptions, Eligibility, NodePoolEvents, PoolState } from './types.js'

export type { BoundedLoadConfig, NodePoolOptions } from './options.js'
export type {
  ClaimAttempt,
  ClaimOptions,
  ClaimRefusal,
  Eligibility,
  IneligibleReason,
  MembershipChange,
  NodePoolEvents,
  PoolState,
} from './types.js'

export class NodePool extends EventEmitter<NodePoolEvents> {
  readonly service: string
  readonly nodeId: string
  readonly heartbeatMs: number
  readonly ttlMs: number
  readonly stableMs: number
  readonly replicas: number
  readonly claimTtlMs: number
  readonly maxClaimLatenessMs: number
  readonly requestTimeoutMs: number
  readonly driver: PoolDriver

  readonly #gate: MembershipGate
  readonly #heartbeat: Heartbeat
  readonly #claims: PoolClaims
  #running = false

  constructor(options: NodePoolOptions) {
    super()
    const o = resolveOptions(options)
    this.service = o.service
    this.driver = o.driver
    this.heartbeatMs = o.heartbeatMs
    this.ttlMs = o.ttlMs
    this.stableMs = o.stableMs
    this.replicas = o.replicas
    this.claimTtlMs = o.claimTtlMs
    this.maxClaimLatenessMs = o.maxClaimLatenessMs
    this.requestTimeoutMs = o.requestTimeoutMs
    this.nodeId = o.nodeId
    this.#gate = new MembershipGate({ ...o, events: this })
    this.#heartbeat = new Heartbeat({ ...o, running: () => this.#running, gate: this.#gate, events: this })
    this.#claims = new PoolClaims({ ...o, events: this })
  }

  // ---- read-only state -------------------------------------------------------------------------------------

  /** `steady` or `upgrading`. */
  get state(): PoolState {
    return this.#gate.state
  }

  /** True between `start()` and `stop()`. */
  get running(): boolean {
    return this.#running
  }

  /** True when this node refuses work because its registration may have lapsed (see heartbeat.ts). */
  get fenced(): boolean {
    return this.#heartbeat.fenced
  }

  /** The lease this node holds in the store (null before the first heartbeat). */
  get lease(): string | null {
    return this.#heartbeat.lease
  }

  /** Live members as of the last heartbeat, sorted. */
  nodes(): string[] {
    return this.#gate.nodes()
  }

  /** The node that owns `job` on the current ring (whatever the state), or undefined if there are no members. */
  owner(job: string): string | undefined {
    return this.#gate.owner(job)
  }

  // ---- eligibility ------------------------------------------------------------------------------------------

  /** Whether this node runs `job` now: running, steady, not fenced, and owner on the ring. */
  isEligible(job: string): boolean {
    return (
      this.#running &&
      this.#gate.state === 'steady' &&
      this.#heartbeat.sinceRenewal() <= this.ttlMs / 2 &&
      this.owner(job) === this.nodeId
    )
  }

  /** Like `isEligible`, with the reason when not. */
  eligibility(job: string): Eligibility {
    if (!this.#running) return { eligible: false, reason: 'not-running' }
    if (this.#gate.state !== 'steady') return { eligible: false, reason: 'upgrading' }
    if (this.fenced) {
      this.#heartbeat.reportFence()
      return { eligible: false, reason: 'fenced' }
    }
    const owner = this.owner(job)
    if (owner !== this.nodeId) return { eligible: false, reason: 'not-owner', owner }
    return { eligible: true }
  }

  /** Throws a coded PoolError (SVC_ERR_POOL_UPGRADING, _FENCED, _NOT_OWNER, _NOT_RUNNING) unless eligible. */
  assertEligible(job: string): void {
    const e = this.eligibility(job)
    if (e.eligible) return
    const code = {
      'not-running': PoolErrorCode.NOT_RUNNING,
      upgrading: PoolErrorCode.UPGRADING,
      fenced: PoolErrorCode.FENCED,
      'not-owner': PoolErrorCode.NOT_OWNER,
    }[e.reason]
    const detail = e.reason === 'not-owner' ? ` (owner: ${String(e.owner)})` : ''
    throw new PoolError(code, `node ${this.nodeId} may not run ${job}: ${e.reason}${detail}`)
  }

  /** Replaces the job set balanced by `boundedLoad` (the pool is `upgrading` for `stableMs` after). */
  setJobs(jobs: Iterable<string>): void {
    this.#gate.setJobs(jobs)
  }

  // ---- claims -----------------------------------------------------------------------------------------------

  /**
   * Takes the run of `job` at `slot` if this node is eligible, steady, not fenced, and the store grants the
   * per-run claim. Returns the claim (with its fencing token) or null.
   */
  async claim(job: string, slot: number | string, options?: ClaimOptions): Promise<RunClaim | null> {
    const attempt = await this.tryClaim(job, slot, options)
    return attempt.ok ? attempt.claim : null
  }

  /** Like `claim`, with the reason when refused. */
  async tryClaim(job: string, slot: number | string, options: ClaimOptions = {}): Promise<ClaimAttempt> {
    const e = this.eligibility(job)
    if (!e.eligible) return { ok: false, reason: e.reason }
    // Eligible implies a successful heartbeat since start(), hence a lease.
    return this.#claims.take(job, slot, options, this.#heartbeat.lease!)
  }

  /**
   * At the end of a run: true only if the claim still holds in the store and this node's lease has not lapsed
   * since it was taken. A false answer means the pool may have given the job to another node meanwhile (this
   * node was paused or cut off for longer than its TTL): discard or compensate the run's results.
   */
  async confirm(claim: RunClaim): Promise<boolean> {
    return (await this.checkClaim(claim)).ok
  }

  /** Like `confirm`, with the reason (`error` when the store could not be asked). */
  async checkClaim(claim: RunClaim): Promise<ConfirmResult | { ok: false; reason: 'error'; error: PoolError }> {
    return this.#claims.check(claim)
  }

  // ---- lifecycle --------------------------------------------------------------------------------------------

  /**
   * Registers this node (first heartbeat) and starts the heartbeat loop. Rejects, leaving the pool stopped,
   * when the first heartbeat fails or the node id is taken by another live process.
   */
  async start(): Promise<void> {
    if (this.#running) return
    this.#running = true
    this.#gate.reset()
    this.#heartbeat.reset()
    let failure: PoolError | null = null
    try {
      const r = await this.#heartbeat.once()
      if (r === 'conflict') failure = nodeIdConflict(this.nodeId)
    } catch (err) {
      failure = toPoolError(err, 'first heartbeat')
    }
    if (failure) {
      this.#running = false
      throw failure
    }
    if (!this.#running) return // stopped meanwhile
    this.#heartbeat.startLoop()
  }

  /** Stops the heartbeat loop and deregisters (the others see it leave at their next heartbeat). */
  async stop(): Promise<void> {
    if (!this.#running) return
    this.#running = false
    await this.#heartbeat.stop()
    this.#gate.setState('upgrading')
  }

  /** Resolves once the pool is steady and not fenced; rejects with SVC_ERR_POOL_TIMEOUT after `timeoutMs`. */
  whenSteady(timeoutMs = this.stableMs * 10 + this.ttlMs): Promise<void> {
    return new Promise((resolve, reject) => {
      const ok = () => this.#running && this.#gate.state === 'steady' && !this.fenced
      if (ok()) return resolve()
      const check = () => {
        if (!ok()) return
        cleanup()
        resolve()
      }
      const timer = setTimeout(() => {
        cleanup()
        reject(new PoolError(PoolErrorCode.TIMEOUT, `pool ${this.service} not steady after ${timeoutMs} ms`))
      }, timeoutMs)
      const cleanup = () => {
        clearTimeout(timer)
        this.off('state', check)
        this.off('unfenced', check)
      }
      this.on('state', check)
      this.on('unfenced', check)
    })
  }

  /**
   * One heartbeat now (renew + read membership + update state). The loop calls it; with
   * `autoHeartbeat: false` the owner calls it. Never rejects: failures are emitted as `error`.
   */
  async heartbeat(): Promise<void> {
    return this.#heartbeat.beat()
  }
}
