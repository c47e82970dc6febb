// The role-independent heart of one cluster client: runs the election, holds this process's subscriptions
// and publications, replays them onto whichever role it gets, and re-elects when the leader is lost.
//
//   electing ──won──▶ leader ─────────────────────────┐
//      │  ▲                                            ├─close()─▶ closing ─▶ closed
//      │  └──leader lost── follower ◀──joined──┘       │
//      └──election failed──▶ failed ───────────────────┘

import type { EventEmitter } from 'eventemitter3'
import { closedError, invokeTimeoutError } from './errors.js'
import { elect } from './election.js'
import { Follower } from './follower.js'
import { withTimeout } from './invoke.js'
import { Leader } from './leader.js'
import type { ResolvedOptions } from './options.js'
import { trace } from './options.js'
import type { Listener, MethodMap, Role, RoleSink } from './types.js'

export type ClusterState = 'electing' | 'leader' | 'follower' | 'failed' | 'closing' | 'closed'

export interface ClusterClientEvents {
  /** This process now holds the upstream connection. */
  leader: [info: { port: number; pid: number }]
  /** This process now proxies through the leader `leaderPid`. */
  follower: [info: { port: number; leaderPid: number }]
  /** The connection to the leader closed; a new election is under way. */
  leaderLost: [err: Error]
  /** An election (initial or after failover) failed for good; the client is `failed`. */
  error: [err: Error]
  close: []
}

interface Subscription {
  info: unknown
  listeners: Set<Listener>
  hasLatest: boolean
  latest: unknown
}

interface Deferred<T> {
  promise: Promise<T>
  resolve(v: T): void
  reject(e: unknown): void
}

function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void
  let reject!: (e: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  promise.catch(() => {}) // awaited on demand; never an unhandled rejection by itself
  return { promise, resolve, reject }
}

export class ClusterCore {
  private stateValue: ClusterState = 'electing'
  private role: Role | null = null
  private roleWaiter = deferred<Role>()
  private readonly readyPromise: Promise<void>
  private readonly abort = new AbortController()
  private failure: Error | null = null
  private closePromise: Promise<void> | undefined
  private readonly subs = new Map<string, Subscription>()
  private readonly pubs = new Map<string, unknown>()
  private readonly sink: RoleSink = {
    deliver: (key, value) => this.deliver(key, value),
    lost: (err) => this.onLost(err),
  }

  constructor(
    readonly options: ResolvedOptions,
    private readonly methods: MethodMap,
    private readonly createDataClient: () => object,
    private readonly events: EventEmitter<ClusterClientEvents>,
  ) {
    this.readyPromise = this.runElection()
    this.readyPromise.catch(() => {})
  }

  get state(): ClusterState {
    return this.stateValue
  }

  /** Resolves once the first election is done and the role can serve. */
  ready(): Promise<void> {
    return this.readyPromise
  }

  invoke(method: string, args: unknown[], timeoutMs = this.options.responseTimeout): Promise<unknown> {
    const role = this.role
    if (role) return role.invoke(method, args, timeoutMs)
    if (this.closePromise) return Promise.reject(closedError(this.options.name))
    if (this.failure) return Promise.reject(this.failure)
    // Electing: wait for the new role, within the same budget.
    const started = Date.now()
    return withTimeout(this.roleWaiter.promise, timeoutMs, () =>
      invokeTimeoutError(this.options.name, method, timeoutMs),
    ).then((r) => r.invoke(method, args, timeoutMs > 0 ? Math.max(1, timeoutMs - (Date.now() - started)) : 0))
  }

  invokeOneway(method: string, args: unknown[]): void {
    if (this.role) return this.role.invokeOneway(method, args)
    this.roleWaiter.promise.then(
      (r) => r.invokeOneway(method, args),
      (err) => this.options.logger.error(`invokeOneway "${method}" dropped: ${(err as Error).message}`),
    )
  }

  subscribe(info: unknown, listener: Listener): void {
    if (typeof listener !== 'function') throw new TypeError('subscribe(info, listener): listener must be a function')
    const key = this.options.formatKey(info)
    let sub = this.subs.get(key)
    if (!sub) {
      sub = { info, listeners: new Set(), hasLatest: false, latest: undefined }
      this.subs.set(key, sub)
      this.role?.subscribe(key, info)
    }
    sub.listeners.add(listener)
    if (sub.hasLatest) {
      const s = sub
      queueMicrotask(() => {
        if (this.subs.get(key) === s && s.listeners.has(listener)) this.call(listener, s.latest, key)
      })
    }
  }

  unSubscribe(info: unknown, listener?: Listener): void {
    const key = this.options.formatKey(info)
    const sub = this.subs.get(key)
    if (!sub) return
    if (listener) sub.listeners.delete(listener)
    else sub.listeners.clear()
    if (sub.listeners.size > 0) return
    this.subs.delete(key)
    this.role?.unSubscribe(key, sub.info)
  }

  publish(info: unknown): void {
    // Remembered so a new leader's fresh upstream connection learns it too (registry semantics).
    if (this.options.republish) this.pubs.set(this.options.formatKey(info), info)
    if (this.role) this.role.publish(info)
    else if (!this.options.republish) this.roleWaiter.promise.then((r) => r.publish(info), () => {})
  }

  close(): Promise<void> {
    this.closePromise ??= this.doClose()
    return this.closePromise
  }

  private async doClose(): Promise<void> {
    this.stateValue = 'closing'
    const err = closedError(this.options.name)
    this.abort.abort(err)
    this.roleWaiter.reject(err)
    this.roleWaiter = deferred<Role>()
    this.roleWaiter.reject(err)
    const role = this.role
    this.role = null
    await role?.close()
    this.subs.clear()
    this.pubs.clear()
    this.stateValue = 'closed'
    trace('"%s" pid %d: closed', this.options.name, process.pid)
    this.events.emit('close')
  }

  private async runElection(): Promise<void> {
    this.stateValue = 'electing'
    let role: Role
    try {
      const elected = await elect({
        options: this.options,
        signal: this.abort.signal,
        createLeader: (server) =>
          new Leader({ options: this.options, server, methods: this.methods, createDataClient: this.createDataClient, sink: this.sink }),
      })
      role = elected.role === 'leader' ? (elected.leader as Leader) : new Follower(elected.conn, elected.leaderPid, this.options, this.sink)
      try {
        await role.ready
      } catch (err) {
        await role.close() // let another process try; ours cannot serve
        throw err
      }
    } catch (err) {
      if (this.closePromise) throw closedError(this.options.name)
      this.fail(err as Error)
      throw err
    }
    if (this.closePromise) {
      await role.close()
      throw closedError(this.options.name)
    }
    this.role = role
    this.stateValue = role.kind
    for (const [key, sub] of this.subs) role.subscribe(key, sub.info)
    for (const info of this.pubs.values()) role.publish(info)
    const waiter = this.roleWaiter
    waiter.resolve(role)
    if (role instanceof Follower) this.events.emit('follower', { port: this.options.port, leaderPid: role.leaderPid })
    else this.events.emit('leader', { port: this.options.port, pid: process.pid })
  }

  private onLost(err: Error): void {
    if (this.closePromise || this.stateValue !== 'follower') return
    this.options.logger.warn(`lost the leader (${err.message}); electing a new one`)
    this.role = null
    this.roleWaiter = deferred<Role>()
    this.events.emit('leaderLost', err)
    this.runElection().catch(() => {}) // a failure is reported through fail()
  }

  private fail(err: Error): void {
    this.failure = err
    this.stateValue = 'failed'
    this.roleWaiter.reject(err)
    this.options.logger.error(`cluster client failed: ${err.message}`)
    this.events.emit('error', err)
  }

  private deliver(key: string, value: unknown): void {
    const sub = this.subs.get(key)
    if (!sub) return
    sub.latest = value
    sub.hasLatest = true
    for (const listener of [...sub.listeners]) this.call(listener, value, key)
  }

  private call(listener: Listener, value: unknown, key: string): void {
    try {
      listener(value)
    } catch (err) {
      this.options.logger.error(`subscription listener for ${key} threw: ${(err as Error)?.stack ?? String(err)}`)
    }
  }
}
