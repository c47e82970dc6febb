// The heartbeat loop and self-fencing.
//
//   - Every `heartbeatMs` the node renews its registration (store clock, `ttlMs`) and reads the live members
//     in the same atomic step; the members go to the MembershipGate.
//   - Self-fencing: when this node's last successful renewal was *sent* more than `ttlMs / 2` ago (by its own
//     monotonic clock), it refuses every job on its own, whatever the state: its key may be about to expire
//     and the others about to take its jobs.

import { randomUUID } from 'node:crypto'
import type { EventEmitter } from 'eventemitter3'
import type { HeartbeatResult, PoolDriver } from '../drivers/driver.js'
import { PoolError, PoolErrorCode } from '../errors.js'
import { toPoolError, withTimeout } from './driver-call.js'
import type { MembershipGate } from './membership-gate.js'
import type { NodePoolEvents } from './types.js'

export interface HeartbeatOptions {
  service: string
  nodeId: string
  driver: PoolDriver
  heartbeatMs: number
  ttlMs: number
  requestTimeoutMs: number
  autoHeartbeat: boolean
  mono: () => number
  /** Whether the pool is between `start()` and `stop()`. */
  running: () => boolean
  gate: MembershipGate
  /** Where `fenced`, `unfenced` and `error` are emitted (the NodePool). */
  events: EventEmitter<NodePoolEvents>
}

export function nodeIdConflict(nodeId: string): PoolError {
  return new PoolError(PoolErrorCode.NODE_ID_CONFLICT, `node id ${nodeId} is held by another process`)
}

export class Heartbeat {
  readonly #o: HeartbeatOptions
  readonly #instance = randomUUID()

  #lease: string | null = null
  /** Monotonic time the last successful renewal was sent; -Infinity before the first. */
  #renewedAt = Number.NEGATIVE_INFINITY
  #fencedReported = false
  #timer: NodeJS.Timeout | null = null
  #nextDue = 0
  #inflight: Promise<void> | null = null
  #beatAgain = false
  #unsubscribeReconnect: (() => void) | null = null

  constructor(options: HeartbeatOptions) {
    this.#o = options
  }

  /** The lease this node holds in the store (null before the first heartbeat). */
  get lease(): string | null {
    return this.#lease
  }

  /** Monotonic ms since the last successful renewal was sent (Infinity before the first). */
  sinceRenewal(): number {
    return this.#o.mono() - this.#renewedAt
  }

  get fenced(): boolean {
    return this.sinceRenewal() > this.#o.ttlMs / 2
  }

  // Forgets the previous registration: the state of a pool about to (re)start.
  reset(): void {
    this.#lease = null
    this.#renewedAt = Number.NEGATIVE_INFINITY
    this.#fencedReported = false
  }

  // Renews (or creates) the registration and hands the members to the gate. Rejects when the driver fails.
  async once(): Promise<'ok' | 'conflict'> {
    const o = this.#o
    const sentAt = o.mono()
    const r: HeartbeatResult = await withTimeout(
      o.driver.heartbeat(
        { service: o.service, nodeId: o.nodeId, instance: this.#instance, lease: this.#lease, ttlMs: o.ttlMs },
        { timeoutMs: o.requestTimeoutMs },
      ),
      o.requestTimeoutMs,
      'heartbeat',
    )
    if (!r.ok) return 'conflict'
    const hadLease = this.#lease !== null
    this.#lease = r.lease // even when stopping: stop() deregisters with the lease Redis now holds
    if (!o.running()) return 'ok'
    if (sentAt > this.#renewedAt) this.#renewedAt = sentAt
    o.gate.observe(r.nodes, r.fresh && hadLease, sentAt)
    return 'ok'
  }

  // One heartbeat, joined with the one in flight if any. Never rejects: failures are emitted as `error`.
  async beat(): Promise<void> {
    if (!this.#o.running()) return
    if (this.#inflight) return this.#inflight
    this.reportFence()
    const p = this.once()
      .then(
        (r) => {
          if (r === 'conflict') this.#o.events.emit('error', nodeIdConflict(this.#o.nodeId))
        },
        (err: unknown) => {
          this.#o.events.emit('error', toPoolError(err, 'heartbeat'))
        },
      )
      .finally(() => {
        this.#inflight = null
        this.reportFence()
      })
    this.#inflight = p
    return p
  }

  // After the first heartbeat: beat again on every driver reconnect, and every `heartbeatMs` unless the owner
  // drives the heartbeats itself.
  startLoop(): void {
    const o = this.#o
    if (o.driver.onReconnect) {
      this.#unsubscribeReconnect = o.driver.onReconnect(() => this.#beatNow())
    }
    if (o.autoHeartbeat) {
      this.#nextDue = o.mono() + o.heartbeatMs
      this.#schedule()
    }
  }

  // Ends the loop, lets the heartbeat in flight finish, then deregisters. Called once `running()` is false.
  async stop(): Promise<void> {
    const o = this.#o
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = null
    this.#unsubscribeReconnect?.()
    this.#unsubscribeReconnect = null
    await this.#inflight?.catch(() => {})
    const lease = this.#lease
    if (lease) {
      try {
        await withTimeout(
          o.driver.deregister(o.service, o.nodeId, lease, { timeoutMs: o.requestTimeoutMs }),
          o.requestTimeoutMs,
          'deregister',
        )
      } catch (err) {
        o.events.emit('error', toPoolError(err, 'deregister'))
      }
    }
    this.#lease = null
  }

  // Emits `fenced` / `unfenced` once per crossing of the `ttlMs / 2` line.
  reportFence(): void {
    if (!this.#o.running()) return
    const fenced = this.fenced
    if (fenced && !this.#fencedReported) {
      this.#fencedReported = true
      this.#o.events.emit('fenced')
    } else if (!fenced && this.#fencedReported) {
      this.#fencedReported = false
      this.#o.events.emit('unfenced')
    }
  }

  #schedule(): void {
    if (!this.#o.running() || !this.#o.autoHeartbeat) return
    const delay = Math.max(0, this.#nextDue - this.#o.mono())
    this.#timer = setTimeout(() => this.#tick(), delay)
  }

  #tick(): void {
    this.#timer = null
    if (!this.#o.running()) return
    const now = this.#o.mono()
    this.#nextDue += this.#o.heartbeatMs
    if (this.#nextDue < now) this.#nextDue = now + this.#o.heartbeatMs // fell behind (pause): no burst
    this.reportFence()
    void this.beat().then(() => {
      if (this.#beatAgain) {
        this.#beatAgain = false
        void this.beat()
      }
    })
    this.#schedule()
  }

  // A reconnect: beat now, or right after the heartbeat in flight (which may have gone to the old connection).
  #beatNow(): void {
    if (!this.#o.running()) return
    if (this.#inflight) {
      this.#beatAgain = true
      void this.#inflight.then(() => {
        if (this.#beatAgain) {
          this.#beatAgain = false
          void this.beat()
        }
      })
      return
    }
    void this.beat()
  }
}
