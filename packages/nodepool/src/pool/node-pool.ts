// NodePool: membership by heartbeat, a consistent-hash ring over the live members, and a steady/upgrading
// gate so that a job never has two owners while the ring changes.
//
//   - Every `heartbeatMs` the node renews its registration (store clock, `ttlMs`) and reads the live members
//     in the same atomic step.
//   - When the members differ from the previous heartbeat, or this node's own registration had to be created
//     afresh (its key expired, or Redis lost its data), the pool is `upgrading`: `isEligible` answers false
//     for every job. It turns `steady` on the first heartbeat sent at least `stableMs` after the change was
//     seen that still sees the same members. `stableMs >= heartbeatMs`, so by then every live node has had a
//     heartbeat in which to see the change too, and stopped running jobs until it is stable for it as well.
//   - Self-fencing: when this node's last successful renewal was *sent* more than `ttlMs / 2` ago (by its own
//     monotonic clock), it refuses every job on its own, whatever the state: its key may be about to expire
//     and the others about to take its jobs.
//   - `claim(job, slot)` adds the per-run claim in the store (see claims/run-claim.ts), which settles what the
//     gate cannot (a node paused between its local check and its request, clocks, different views).

import { randomBytes, randomUUID } from 'node:crypto'
import { hostname } from 'node:os'
import { performance } from 'node:perf_hooks'
import { EventEmitter } from 'eventemitter3'
import type { RunClaim } from '../claims/run-claim.js'
import type { ConfirmResult, HeartbeatResult, PoolDriver } from '../drivers/driver.js'
import { PoolError, PoolErrorCode } from '../errors.js'
import { BoundedLoadRing } from '../ring/bounded-load.js'
import { DEFAULT_REPLICAS, HashRing } from '../ring/hash-ring.js'

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

export interface BoundedLoadConfig {
  /** No node takes more than ceil((1 + epsilon) x average) of `jobs`. */
  epsilon: number
  /** The jobs to balance (the same set on every node: the manifest's). Jobs outside it use the plain ring. */
  jobs?: Iterable<string>
}

export interface NodePoolOptions {
  /** Name of the pool: nodes with the same `service` (and store) share work. */
  service: string
  driver: PoolDriver
  /** Renewal and membership poll interval. Default 1000 ms. */
  heartbeatMs?: number
  /** Registration lifetime without renewal, by the store's clock. Must exceed 2 x `heartbeatMs`. Default 5 x `heartbeatMs`. */
  ttlMs?: number
  /** Virtual nodes per member on the ring. Default 160. */
  replicas?: number
  /** Bounded-load assignment of a known job set. */
  boundedLoad?: BoundedLoadConfig
  /** How long membership must be unchanged before the pool is `steady` again. At least `heartbeatMs`. Default 2 x `heartbeatMs`. */
  stableMs?: number
  /** Lifetime of a run claim in the store: longer than a run and than any lateness a slot is claimed with. Default 60 000 ms. */
  claimTtlMs?: number
  /** Claims with `scheduledAt` later than this are refused. Default `stableMs / 2`. Must stay below `stableMs` minus the clock skew between hosts. */
  maxClaimLatenessMs?: number
  /** This node's id. Default `<hostname>-<pid>-<random>`. */
  nodeId?: string
  /** Timeout of each driver call. Default `heartbeatMs`. */
  requestTimeoutMs?: number
  /** Run the heartbeat loop (default true). False: call `heartbeat()` yourself (tests, external loops). */
  autoHeartbeat?: boolean
  /** Clocks, for tests. `monotonic` (default `performance.now`) measures intervals; `wall` (default `Date.now`) is only compared with `scheduledAt`. */
  clock?: { monotonic?: () => number; wall?: () => number }
}

function positive(name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new PoolError(PoolErrorCode.CONFIG, `${name} must be a positive number, got ${String(value)}`)
  }
  return value
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

function toPoolError(err: unknown, what: string): PoolError {
  if (err instanceof PoolError) return err
  return new PoolError(PoolErrorCode.DRIVER, `${what}: ${err instanceof Error ? err.message : String(err)}`, {
    cause: err,
  })
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new PoolError(PoolErrorCode.TIMEOUT, `${what} took more than ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([p, timeout])
  } finally {
    clearTimeout(timer)
  }
}

const OWNER_CACHE_LIMIT = 100_000

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

  readonly #instance = randomUUID()
  readonly #autoHeartbeat: boolean
  readonly #mono: () => number
  readonly #wall: () => number
  readonly #epsilon: number | undefined
  #jobs: string[] | undefined

  #running = false
  #state: PoolState = 'upgrading'
  #view: string[] = []
  #ring: HashRing | BoundedLoadRing
  #owners = new Map<string, string | undefined>()
  #lease: string | null = null
  /** Monotonic time the last successful renewal was sent; -Infinity before the first. */
  #renewedAt = Number.NEGATIVE_INFINITY
  /** Monotonic time the last membership change was seen. */
  #changedAt = 0
  #fencedReported = false
  #timer: NodeJS.Timeout | null = null
  #nextDue = 0
  #inflight: Promise<void> | null = null
  #beatAgain = false
  #unsubscribeReconnect: (() => void) | null = null

  constructor(options: NodePoolOptions) {
    super()
    if (!options || typeof options.service !== 'string' || options.service === '') {
      throw new PoolError(PoolErrorCode.CONFIG, '`service` must be a non-empty string')
    }
    if (!options.driver || typeof options.driver.heartbeat !== 'function') {
      throw new PoolError(PoolErrorCode.CONFIG, '`driver` must be a PoolDriver (MemoryDriver or RedisDriver)')
    }
    this.service = options.service
    this.driver = options.driver
    this.heartbeatMs = positive('heartbeatMs', options.heartbeatMs ?? 1000)
    this.ttlMs = positive('ttlMs', options.ttlMs ?? this.heartbeatMs * 5)
    if (this.ttlMs <= 2 * this.heartbeatMs) {
      throw new PoolError(
        PoolErrorCode.CONFIG,
        `ttlMs (${this.ttlMs}) must be greater than 2 x heartbeatMs (${this.heartbeatMs}): a node fences itself after ttlMs / 2 without renewal`,
      )
    }
    this.stableMs = positive('stableMs', options.stableMs ?? this.heartbeatMs * 2)
    if (this.stableMs < this.heartbeatMs) {
      throw new PoolError(
        PoolErrorCode.CONFIG,
        `stableMs (${this.stableMs}) must be at least heartbeatMs (${this.heartbeatMs}) so every node sees a change before any node is steady again`,
      )
    }
    this.replicas = options.replicas ?? DEFAULT_REPLICAS
    if (!Number.isInteger(this.replicas) || this.replicas < 1) {
      throw new PoolError(PoolErrorCode.CONFIG, `replicas must be a positive integer, got ${String(this.replicas)}`)
    }
    this.claimTtlMs = positive('claimTtlMs', options.claimTtlMs ?? 60_000)
    this.maxClaimLatenessMs = positive('maxClaimLatenessMs', options.maxClaimLatenessMs ?? this.stableMs / 2)
    this.requestTimeoutMs = positive('requestTimeoutMs', options.requestTimeoutMs ?? this.heartbeatMs)
    if (options.boundedLoad) {
      const { epsilon } = options.boundedLoad
      if (typeof epsilon !== 'number' || !Number.isFinite(epsilon) || epsilon < 0) {
        throw new PoolError(PoolErrorCode.CONFIG, `boundedLoad.epsilon must be a number >= 0, got ${String(epsilon)}`)
      }
      this.#epsilon = epsilon
      this.#jobs = options.boundedLoad.jobs ? [...options.boundedLoad.jobs] : []
    }
    const nodeId = options.nodeId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`
    if (typeof nodeId !== 'string' || nodeId === '') {
      throw new PoolError(PoolErrorCode.CONFIG, '`nodeId` must be a non-empty string')
    }
    this.nodeId = nodeId
    this.#autoHeartbeat = options.autoHeartbeat ?? true
    this.#mono = options.clock?.monotonic ?? (() => performance.now())
    this.#wall = options.clock?.wall ?? Date.now
    this.#ring = this.#buildRing([])
  }

  // ---- read-only state -------------------------------------------------------------------------------------

  /** `steady` or `upgrading`. */
  get state(): PoolState {
    return this.#state
  }

  /** True between `start()` and `stop()`. */
  get running(): boolean {
    return this.#running
  }

  /** True when this node refuses work because its registration may have lapsed (see class comment). */
  get fenced(): boolean {
    return this.#mono() - this.#renewedAt > this.ttlMs / 2
  }

  /** The lease this node holds in the store (null before the first heartbeat). */
  get lease(): string | null {
    return this.#lease
  }

  /** Live members as of the last heartbeat, sorted. */
  nodes(): string[] {
    return [...this.#view]
  }

  /** The node that owns `job` on the current ring (whatever the state), or undefined if there are no members. */
  owner(job: string): string | undefined {
    let owner = this.#owners.get(job)
    if (owner === undefined && !this.#owners.has(job)) {
      owner = this.#ring.get(job)
      if (this.#owners.size >= OWNER_CACHE_LIMIT) this.#owners.clear()
      this.#owners.set(job, owner)
    }
    return owner
  }

  // ---- eligibility ------------------------------------------------------------------------------------------

  /** Whether this node runs `job` now: running, steady, not fenced, and owner on the ring. */
  isEligible(job: string): boolean {
    return (
      this.#running &&
      this.#state === 'steady' &&
      this.#mono() - this.#renewedAt <= this.ttlMs / 2 &&
      this.owner(job) === this.nodeId
    )
  }

  /** Like `isEligible`, with the reason when not. */
  eligibility(job: string): Eligibility {
    if (!this.#running) return { eligible: false, reason: 'not-running' }
    if (this.#state !== 'steady') return { eligible: false, reason: 'upgrading' }
    if (this.fenced) {
      this.#reportFence()
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
    if (this.#epsilon === undefined) {
      throw new PoolError(PoolErrorCode.CONFIG, 'setJobs needs the `boundedLoad` option')
    }
    this.#jobs = [...jobs]
    this.#ring = this.#buildRing(this.#view)
    this.#owners.clear()
    this.#changedAt = this.#mono()
    this.#setState('upgrading')
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
    if (options.scheduledAt !== undefined && this.#wall() - options.scheduledAt > this.maxClaimLatenessMs) {
      return { ok: false, reason: 'late' }
    }
    const lease = this.#lease!
    const slotKey = String(slot)
    try {
      const r = await withTimeout(
        this.driver.claim(
          {
            service: this.service,
            job,
            slot: slotKey,
            nodeId: this.nodeId,
            lease,
            ttlMs: options.ttlMs ?? this.claimTtlMs,
          },
          { timeoutMs: this.requestTimeoutMs },
        ),
        this.requestTimeoutMs,
        'claim',
      )
      if (!r.ok) return { ok: false, reason: r.reason }
      return { ok: true, claim: { job, slot: slotKey, token: r.token, nodeId: this.nodeId, lease } }
    } catch (err) {
      const error = toPoolError(err, 'claim')
      this.emit('error', error)
      return { ok: false, reason: 'error', error }
    }
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
    try {
      return await withTimeout(
        this.driver.confirm(
          {
            service: this.service,
            job: claim.job,
            slot: claim.slot,
            nodeId: claim.nodeId,
            lease: claim.lease,
            token: claim.token,
          },
          { timeoutMs: this.requestTimeoutMs },
        ),
        this.requestTimeoutMs,
        'confirm',
      )
    } catch (err) {
      const error = toPoolError(err, 'confirm')
      this.emit('error', error)
      return { ok: false, reason: 'error', error }
    }
  }

  // ---- lifecycle --------------------------------------------------------------------------------------------

  /**
   * Registers this node (first heartbeat) and starts the heartbeat loop. Rejects, leaving the pool stopped,
   * when the first heartbeat fails or the node id is taken by another live process.
   */
  async start(): Promise<void> {
    if (this.#running) return
    this.#running = true
    this.#state = 'upgrading'
    this.#view = []
    this.#lease = null
    this.#renewedAt = Number.NEGATIVE_INFINITY
    this.#fencedReported = false
    this.#ring = this.#buildRing([])
    this.#owners.clear()
    let failure: PoolError | null = null
    try {
      const r = await this.#heartbeatOnce()
      if (r === 'conflict') {
        failure = new PoolError(PoolErrorCode.NODE_ID_CONFLICT, `node id ${this.nodeId} is held by another process`)
      }
    } catch (err) {
      failure = toPoolError(err, 'first heartbeat')
    }
    if (failure) {
      this.#running = false
      throw failure
    }
    if (!this.#running) return // stopped meanwhile
    if (this.driver.onReconnect) {
      this.#unsubscribeReconnect = this.driver.onReconnect(() => this.#beatNow())
    }
    if (this.#autoHeartbeat) {
      this.#nextDue = this.#mono() + this.heartbeatMs
      this.#schedule()
    }
  }

  /** Stops the heartbeat loop and deregisters (the others see it leave at their next heartbeat). */
  async stop(): Promise<void> {
    if (!this.#running) return
    this.#running = false
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = null
    this.#unsubscribeReconnect?.()
    this.#unsubscribeReconnect = null
    await this.#inflight?.catch(() => {})
    const lease = this.#lease
    if (lease) {
      try {
        await withTimeout(
          this.driver.deregister(this.service, this.nodeId, lease, { timeoutMs: this.requestTimeoutMs }),
          this.requestTimeoutMs,
          'deregister',
        )
      } catch (err) {
        this.emit('error', toPoolError(err, 'deregister'))
      }
    }
    this.#lease = null
    this.#setState('upgrading')
  }

  /** Resolves once the pool is steady and not fenced; rejects with SVC_ERR_POOL_TIMEOUT after `timeoutMs`. */
  whenSteady(timeoutMs = this.stableMs * 10 + this.ttlMs): Promise<void> {
    return new Promise((resolve, reject) => {
      const ok = () => this.#running && this.#state === 'steady' && !this.fenced
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
    if (!this.#running) return
    if (this.#inflight) return this.#inflight
    this.#reportFence()
    const p = this.#heartbeatOnce()
      .then(
        (r) => {
          if (r === 'conflict') {
            this.emit(
              'error',
              new PoolError(PoolErrorCode.NODE_ID_CONFLICT, `node id ${this.nodeId} is held by another process`),
            )
          }
        },
        (err: unknown) => {
          this.emit('error', toPoolError(err, 'heartbeat'))
        },
      )
      .finally(() => {
        this.#inflight = null
        this.#reportFence()
      })
    this.#inflight = p
    return p
  }

  // ---- internals --------------------------------------------------------------------------------------------

  #buildRing(members: string[]): HashRing | BoundedLoadRing {
    const ring = new HashRing(members, { replicas: this.replicas })
    if (this.#epsilon === undefined) return ring
    return new BoundedLoadRing(ring, this.#jobs ?? [], { epsilon: this.#epsilon })
  }

  #setState(state: PoolState): void {
    if (this.#state === state) return
    this.#state = state
    this.emit('state', state)
  }

  #reportFence(): void {
    if (!this.#running) return
    const fenced = this.fenced
    if (fenced && !this.#fencedReported) {
      this.#fencedReported = true
      this.emit('fenced')
    } else if (!fenced && this.#fencedReported) {
      this.#fencedReported = false
      this.emit('unfenced')
    }
  }

  async #heartbeatOnce(): Promise<'ok' | 'conflict'> {
    const sentAt = this.#mono()
    const r: HeartbeatResult = await withTimeout(
      this.driver.heartbeat(
        { service: this.service, nodeId: this.nodeId, instance: this.#instance, lease: this.#lease, ttlMs: this.ttlMs },
        { timeoutMs: this.requestTimeoutMs },
      ),
      this.requestTimeoutMs,
      'heartbeat',
    )
    if (!r.ok) return 'conflict'
    const hadLease = this.#lease !== null
    this.#lease = r.lease // even when stopping: stop() deregisters with the lease Redis now holds
    if (!this.#running) return 'ok'
    if (sentAt > this.#renewedAt) this.#renewedAt = sentAt
    const reregistered = r.fresh && hadLease
    const nodes = r.nodes.includes(this.nodeId) ? r.nodes : [...r.nodes, this.nodeId].sort()
    if (reregistered || !sameList(nodes, this.#view)) {
      const before = new Set(this.#view)
      const after = new Set(nodes)
      const added = nodes.filter((n) => !before.has(n))
      const removed = this.#view.filter((n) => !after.has(n))
      this.#view = nodes
      this.#ring = this.#buildRing(nodes)
      this.#owners.clear()
      this.#changedAt = this.#mono()
      this.#setState('upgrading')
      for (const n of added) this.emit('join', n)
      for (const n of removed) this.emit('leave', n)
      this.emit('membership', { nodes: [...nodes], added, removed, reregistered })
    } else if (this.#state === 'upgrading' && sentAt - this.#changedAt >= this.stableMs) {
      this.#setState('steady')
    }
    return 'ok'
  }

  #schedule(): void {
    if (!this.#running || !this.#autoHeartbeat) return
    const delay = Math.max(0, this.#nextDue - this.#mono())
    this.#timer = setTimeout(() => this.#tick(), delay)
  }

  #tick(): void {
    this.#timer = null
    if (!this.#running) return
    const now = this.#mono()
    this.#nextDue += this.heartbeatMs
    if (this.#nextDue < now) this.#nextDue = now + this.heartbeatMs // fell behind (pause): no burst
    this.#reportFence()
    void this.heartbeat().then(() => {
      if (this.#beatAgain) {
        this.#beatAgain = false
        void this.heartbeat()
      }
    })
    this.#schedule()
  }

  #beatNow(): void {
    if (!this.#running) return
    if (this.#inflight) {
      this.#beatAgain = true
      void this.#inflight.then(() => {
        if (this.#beatAgain) {
          this.#beatAgain = false
          void this.heartbeat()
        }
      })
      return
    }
    void this.heartbeat()
  }
}
