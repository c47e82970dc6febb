// The steady/upgrading gate over the live members and their ring.
//
//   - When the members differ from the previous heartbeat, or this node's own registration had to be created
//     afresh (its key expired, or Redis lost its data), the pool is `upgrading`: no job is eligible. It turns
//     `steady` on the first heartbeat sent at least `stableMs` after the change was seen that still sees the
//     same members. `stableMs >= heartbeatMs`, so by then every live node has had a heartbeat in which to see
//     the change too, and stopped running jobs until it is stable for it as well.

import type { EventEmitter } from 'eventemitter3'
import { BoundedLoadRing } from '../ring/bounded-load.js'
import { HashRing } from '../ring/hash-ring.js'
import { PoolError, PoolErrorCode } from '../errors.js'
import type { NodePoolEvents, PoolState } from './types.js'

const OWNER_CACHE_LIMIT = 100_000

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

export interface MembershipGateOptions {
  nodeId: string
  replicas: number
  stableMs: number
  /** Set only with `boundedLoad`. */
  epsilon: number | undefined
  jobs: string[] | undefined
  mono: () => number
  /** Where `state`, `join`, `leave` and `membership` are emitted (the NodePool). */
  events: EventEmitter<NodePoolEvents>
}

export class MembershipGate {
  readonly #nodeId: string
  readonly #replicas: number
  readonly #stableMs: number
  readonly #epsilon: number | undefined
  readonly #mono: () => number
  readonly #events: EventEmitter<NodePoolEvents>
  #jobs: string[] | undefined

  #state: PoolState = 'upgrading'
  #view: string[] = []
  #ring: HashRing | BoundedLoadRing
  #owners = new Map<string, string | undefined>()
  /** Monotonic time the last membership change was seen. */
  #changedAt = 0

  constructor(options: MembershipGateOptions) {
    this.#nodeId = options.nodeId
    this.#replicas = options.replicas
    this.#stableMs = options.stableMs
    this.#epsilon = options.epsilon
    this.#jobs = options.jobs
    this.#mono = options.mono
    this.#events = options.events
    this.#ring = this.#buildRing([])
  }

  get state(): PoolState {
    return this.#state
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

  // Back to no members, `upgrading`, without an event: the state of a pool about to (re)start.
  reset(): void {
    this.#state = 'upgrading'
    this.#view = []
    this.#ring = this.#buildRing([])
    this.#owners.clear()
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
    this.setState('upgrading')
  }

  // Takes the members read by a heartbeat sent at `sentAt`: a change (or a re-registration) makes the pool
  // `upgrading`; the same members `stableMs` after the last change make it `steady`.
  observe(reported: string[], reregistered: boolean, sentAt: number): void {
    const nodes = reported.includes(this.#nodeId) ? reported : [...reported, this.#nodeId].sort()
    if (reregistered || !sameList(nodes, this.#view)) {
      const before = new Set(this.#view)
      const after = new Set(nodes)
      const added = nodes.filter((n) => !before.has(n))
      const removed = this.#view.filter((n) => !after.has(n))
      this.#view = nodes
      this.#ring = this.#buildRing(nodes)
      this.#owners.clear()
      this.#changedAt = this.#mono()
      this.setState('upgrading')
      for (const n of added) this.#events.emit('join', n)
      for (const n of removed) this.#events.emit('leave', n)
      this.#events.emit('membership', { nodes: [...nodes], added, removed, reregistered })
    } else if (this.#state === 'upgrading' && sentAt - this.#changedAt >= this.#stableMs) {
      this.setState('steady')
    }
  }

  setState(state: PoolState): void {
    if (this.#state === state) return
    this.#state = state
    this.#events.emit('state', state)
  }

  #buildRing(members: string[]): HashRing | BoundedLoadRing {
    const ring = new HashRing(members, { replicas: this.#replicas })
    if (this.#epsilon === undefined) return ring
    return new BoundedLoadRing(ring, this.#jobs ?? [], { epsilon: this.#epsilon })
  }
}
