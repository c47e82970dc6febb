// One service in the graph: owns ordering, and its instances (node/instance.ts) — one process each.
//   start: dependencies reach their condition first (reach() starts them: 'ready' — they run; 'completed' — a one-shot
//          exited 0; 'started' — their process exists), then the code is sent (a command is spawned);
//   close: dependents close first, then this one;
//   an instance that crashes while others serve is restarted alone (its dependents never notice); the crash of the
//   last one is the service's crash: reported, and the supervisor decides what follows;
//   reload and scale replace, add and remove instances while the service runs.

import { EventEmitter } from 'eventemitter3'
import { debuglog } from 'node:util'
import type { ExitReport, ServiceContainer } from '../container/service-container.js'
import type { ServiceController } from '../controller/service-controller.js'
import type { CallTarget } from '../manager/router.js'
import { svcError } from '../errors.js'
import { MAX_INSTANCES } from '../manifest/instance-fields.js'
import type { ResolvedService } from '../manifest/normalize.js'
import type { DependencyCondition } from '../manifest/types.js'
import type { ExitInfo, InstanceState, ServiceState } from '../protocol/snapshot.js'
import { sleep } from '../sleep.js'
import { retriedStartFailure } from '../supervision/restart-policy.js'
import { Instance } from './instance.js'
import { assertTransition } from './states.js'

const trace = debuglog('svc:node')

export interface NodeEvents {
  state: [from: ServiceState, to: ServiceState, reason: string]
  crash: [report: ExitReport]
  /** The current start has its process (what a dependent's 'started' condition waits for). */
  started: []
  instance: [instance: Instance, from: InstanceState, to: InstanceState, reason: string]
  /** An instance crashed while others served: it is restarted alone, by the service's policy. */
  instanceCrash: [instance: Instance, report: ExitReport]
}

export interface NodeLinks {
  dependencies(node: ServiceNode): ServiceNode[]
  dependents(node: ServiceNode): ServiceNode[]
  /** A container for a new instance, wired to the manager. */
  container(node: ServiceNode, index: number): ServiceContainer
  /** An instance is gone for good (reloaded, scaled away): release its container. */
  retire(node: ServiceNode, instance: Instance): void
  /** After a start failure another attempt may not meet (supervision/supervisor.ts, retriedStartFailure): how long to
   * wait before the next attempt, or null to give the start up. Absent: never retried. */
  retryStart?(node: ServiceNode): number | null
  /** An instance crashed while others serve (or failed to come back): how long to wait before restarting it, or null
   * to leave it down. Absent: never restarted. */
  retryInstance?(node: ServiceNode, instance: Instance): number | null
  /** A graph across hosts: resolves once its dependents on other hosts have closed, where they will (the service
   * starts again after a crash, or closes in a cascade or with the whole cluster). Absent: one host. */
  dependentsElsewhere?(node: ServiceNode, moment: 'start' | 'close'): Promise<void>
}

export class ServiceNode extends EventEmitter<NodeEvents> {
  state: ServiceState = 'closed'
  startedAt: number | null = null
  lastExit: ExitInfo | null = null
  restarts = 0
  /** Closed on purpose: never restarted until started again. */
  stopped = false
  /** Gave up after too many restarts (derived display state `failed`). */
  failed = false
  /** Waiting for a backoff delay before a restart. */
  restarting = false
  /** Fault injection: hold the next start this long before sending the code. */
  delayNextStartMs = 0
  /** How many instances it is meant to have (`instances` in the manifest, then scale()). */
  desired: number
  /** Its processes, oldest first. */
  readonly instances: Instance[] = []
  /** The controllers of running instances on this host: where calls go. */
  #ready: ServiceController[] = []
  /** Running instances on other hosts (a graph across hosts): where calls go when none runs here. */
  #remote: CallTarget[] = []
  #turn = 0
  /** The current start has its process: a Node service got its code, a command was spawned. */
  #hasProcess = false
  #starting: Promise<void> | null = null
  #closing: Promise<void> | null = null
  #abort: AbortController | null = null
  /** Reloads and scales, one after the other. */
  #changes: Promise<unknown> = Promise.resolve()

  constructor(
    readonly service: ResolvedService,
    private readonly links: NodeLinks,
  ) {
    super()
    this.desired = service.instances
    this.#fit()
  }

  get name(): string {
    return this.service.name
  }

  get kind(): 'node' | 'command' {
    return this.service.kind
  }

  /** Asked to start, still waiting for its dependencies (display state `pending`). */
  get pending(): boolean {
    return this.#starting !== null && this.state === 'closed'
  }

  /** The pid of its first live instance. */
  get pid(): number | null {
    return (this.instances.find((i) => i.live) ?? this.instances[0])?.pid ?? null
  }

  /** While it runs: an instance is starting, draining or closing, or one that crashed waits to be restarted alone. */
  get instancesMoving(): boolean {
    if (this.state !== 'running') return false
    return this.instances.some((i) => (i.state !== 'running' && i.state !== 'closed') || i.restart !== null)
  }

  /** A running instance to send a call to: one on this host if any runs here (as Moleculer prefers local services),
   * else one on another host; among them the one with the fewest calls in flight (ties in turn), or each in turn
   * (`balance: 'round-robin'`); null when none runs. */
  pick(): CallTarget | null {
    return this.#ready.length > 0 ? this.#choose(this.#ready) : this.#choose(this.#remote)
  }

  /** A running instance on this host to send a call to, or null. */
  pickLocal(): ServiceController | null {
    return this.#choose(this.#ready)
  }

  #choose<T extends CallTarget>(ready: T[]): T | null {
    const n = ready.length
    if (n <= 1) return ready[0] ?? null
    const first = this.#turn++ % n
    if (this.service.balance === 'round-robin') return ready[first]!
    let best = ready[first]!
    for (let k = 1; k < n && best.inFlight > 0; k++) {
      const candidate = ready[(first + k) % n]!
      if (candidate.inFlight < best.inFlight) best = candidate
    }
    return best
  }

  /** Where an event for this service goes: a running instance, else one still starting (it may subscribe first). */
  eventTarget(): ServiceController | null {
    return this.pickLocal() ?? this.instances.find((i) => i.state === 'starting')?.controller ?? null
  }

  /** Finds an instance by its index: during a reload, the one that serves (the replacement once it runs). */
  instance(index: number): Instance | undefined {
    const withIndex = this.instances.filter((i) => i.index === index)
    return withIndex.find((i) => i.state === 'running') ?? withIndex.find((i) => i.live) ?? withIndex[0]
  }

  /** Boots each instance's next process ahead of its start. */
  prepare(): Promise<void> {
    return Promise.all(this.instances.map((i) => i.container.prepare())).then(() => {})
  }

  /** Releases what is kept for the next start (warm spares). */
  dispose(): Promise<void> {
    return Promise.all(this.instances.map((i) => i.container.dispose())).then(() => {})
  }

  /** Signals every instance's process without the close protocol (fault injection, an unhealthy service). */
  kill(signal: NodeJS.Signals): void {
    for (const i of this.instances) i.container.kill(signal)
  }

  /** Starts dependencies, then this service; resolves once it runs (a one-shot: once it completed). Concurrent calls
   * share one attempt. */
  start(reason = 'start'): Promise<void> {
    if ((this.state === 'running' || this.state === 'completed') && !this.#closing) return Promise.resolve()
    this.#starting ??= this.#start(reason).finally(() => {
      this.#starting = null
    })
    return this.#starting
  }

  /** Starts this service and resolves once it meets what a dependent waits for. */
  reach(condition: DependencyCondition, reason = 'start'): Promise<void> {
    const starting = this.start(reason)
    if (condition !== 'started' || this.#started()) return starting
    return new Promise((resolve, reject) => {
      const onStarted = () => resolve()
      this.once('started', onStarted)
      starting.then(resolve, reject).finally(() => this.off('started', onStarted))
    })
  }

  #started(): boolean {
    return this.state === 'running' || this.state === 'completed' || (this.state === 'starting' && this.#hasProcess)
  }

  /** Closes dependents, then this service; cancels a start in progress. Concurrent calls share one attempt. */
  close(reason = 'close'): Promise<void> {
    this.#closing ??= this.#close(reason).finally(() => {
      this.#closing = null
    })
    return this.#closing
  }

  /**
   * Replaces each instance in turn without a moment when none serves: a replacement starts, once it runs new calls go
   * to it, the old one finishes the calls it has (at most `drainTimeoutMs`) and closes. Dependents never close. A
   * replacement that fails to start ends the reload with SVC_ERR_RELOAD_FAILED and leaves the old instance serving.
   */
  reload(reason = 'reload', only?: Instance): Promise<void> {
    return this.#serially(async () => {
      if (this.state !== 'running') {
        throw svcError('SVC_ERR_SERVICE_NOT_RUNNING', `Service "${this.name}" is ${this.state}, not running: there is nothing to reload. Start it instead.`, {
          service: this.name,
          details: { state: this.state },
        })
      }
      // One on another host is its own host's to replace.
      for (const old of this.instances.filter((i) => i.state === 'running' && !i.remote && (!only || i === only))) {
        if (this.state !== 'running') break
        const fresh = this.#add(old.index)
        try {
          await fresh.start(reason)
        } catch (cause) {
          this.#remove(fresh)
          if (this.state !== 'running') throw cause
          throw svcError('SVC_ERR_RELOAD_FAILED', `The replacement for ${old.id} did not start (${(cause as Error).message}); ${old.id} keeps serving. Fix the cause and reload again.`, {
            service: this.name,
            cause,
          })
        }
        await this.#retire(old, reason)
      }
    })
  }

  /** Sets how many instances the service has; while it runs, starts the new ones (resolving once they run) or drains
   * and closes the highest-numbered ones. Applies to its next start when it does not run. */
  scale(count: number): Promise<void> {
    if (!Number.isInteger(count) || count < 1 || count > MAX_INSTANCES) {
      return Promise.reject(
        svcError('SVC_ERR_BAD_INSTANCES', `Service "${this.name}" cannot have ${count} instances: give a whole number from 1 to ${MAX_INSTANCES} (close the service to run none).`, {
          service: this.name,
        }),
      )
    }
    return this.#serially(async () => {
      this.desired = count
      if (this.state !== 'running') {
        if (this.state === 'closed' && !this.#starting) this.#fit()
        return
      }
      const serving = () => this.instances.filter((i) => i.live && i.state !== 'draining' && i.state !== 'closing')
      await Promise.all(serving().slice(count).map((i) => this.#retire(i, 'scaled down')))
      for (const gone of this.instances.filter((i) => !i.live && i.index >= count)) this.#remove(gone)
      // Instances left down (a policy that gave up on one) come back first, then new ones fill the lowest free numbers.
      const added = this.instances.filter((i) => !i.live).slice(0, Math.max(0, count - serving().length))
      for (let index = 0; serving().length + added.length < count; index++) {
        if (!this.instances.some((i) => i.index === index)) added.push(this.#add(index))
      }
      const results = await Promise.allSettled(added.map((i) => i.start('scaled up')))
      const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
      if (failure) {
        for (const [k, r] of results.entries()) if (r.status === 'rejected' && added[k]!.index >= count) this.#remove(added[k]!)
        throw svcError('SVC_ERR_SCALE_FAILED', `Service "${this.name}" could not add an instance (${(failure.reason as Error).message}); the ones already running keep serving.`, {
          service: this.name,
          cause: failure.reason,
        })
      }
    })
  }

  #serially<T>(change: () => Promise<T>): Promise<T> {
    const run = this.#changes.then(change)
    this.#changes = run.catch(() => {})
    return run
  }

  async #start(reason: string): Promise<void> {
    if (this.#closing) await this.#closing
    const abort = (this.#abort = new AbortController())
    const dependencies = this.links.dependencies(this)
    try {
      const failed = dependencies.find((d) => d.failed)
      if (failed) throw new Error(`"${failed.name}" ${failed.service.oneshot ? `(a one-shot) failed${exitText(failed.lastExit)}; start it again once fixed` : 'has failed and is not restarted automatically'}`)
      const conditions = this.service.conditions
      await untilAborted(Promise.all(dependencies.map((d) => d.reach(conditions[d.name] ?? 'ready', reason))), abort.signal)
    } catch (cause) {
      await Promise.all(this.instances.map((i) => i.container.stop('not started'))) // a pre-spawned process must not linger
      if (abort.signal.aborted) throw this.#aborted()
      throw svcError('SVC_ERR_DEPENDENCY_FAILED', `Service "${this.name}" was not started: a dependency failed to start (${(cause as Error).message}).`, {
        service: this.name,
        cause,
      })
    }
    if (this.delayNextStartMs > 0) {
      const ms = this.delayNextStartMs
      this.delayNextStartMs = 0
      await sleep(ms, abort.signal).catch(() => {})
    }
    if (this.links.dependentsElsewhere) await untilAborted(this.links.dependentsElsewhere(this, 'start'), abort.signal).catch(() => {})
    if (abort.signal.aborted) throw this.#aborted()
    // Dependents waiting for this start keep waiting while a failed attempt is retried (see #attempt).
    while (!(await this.#attempt(reason, abort.signal))) reason = 'restart (start failed)'
    if (abort.signal.aborted || this.state !== 'starting') throw this.#aborted()
    if (this.service.oneshot) {
      this.lastExit = { code: 0, signal: null, reason: 'completed', at: Date.now() }
      for (const instance of this.instances) instance.completed()
      this.#setState('completed', reason)
      return
    }
    this.startedAt = Date.now()
    this.#setState('running', reason)
    // One that crashed while the others still started comes back alone, as it would have a moment later.
    for (const instance of this.instances) if (!instance.live) void this.#restartAlone(instance)
  }

  /** One attempt at starting every instance: true once all run, false when the policy asks for another after a wait.
   * All or nothing: when one fails, the others are closed again. */
  async #attempt(reason: string, signal: AbortSignal): Promise<boolean> {
    this.#hasProcess = false
    // One still closing (stopped when the service went down, while it was coming back alone) ends first: it is
    // started below with the others, not left out.
    await Promise.all(this.instances.filter((i) => i.state === 'closing').map((i) => i.stop('the service went down')))
    this.#fit()
    this.#setState('starting', reason)
    const results = await Promise.allSettled(this.instances.map((i) => (i.state === 'closed' ? i.start(reason) : Promise.resolve())))
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (!failure) return true
    const error = failure.reason as unknown
    await Promise.all(this.instances.filter((i) => i.live).map((i) => i.stop('another instance failed to start')))
    const failedOne = this.instances.find((i) => i.lastExit?.reason === 'start-failed')
    this.lastExit = { ...(failedOne?.lastExit ?? { code: null, signal: null, at: Date.now() }), reason: 'start-failed', error: briefError(error) }
    // A one-shot that failed stays failed: its dependents must not run on what it did not finish.
    if (this.service.oneshot && !signal.aborted) this.failed = true
    if (this.state === 'starting') this.#setState('closed', this.failed ? 'one-shot failed' : 'start failed')
    if (signal.aborted) throw this.#aborted()
    const delayMs = !this.service.oneshot && retriedStartFailure(error) ? (this.links.retryStart?.(this) ?? null) : null
    if (delayMs === null) throw error
    this.restarting = true
    await sleep(delayMs, signal).catch(() => {}) // a close during the wait clears its timer
    this.restarting = false
    if (signal.aborted) throw this.#aborted()
    return false
  }

  async #close(reason: string): Promise<void> {
    this.#abort?.abort()
    // The start this close cancels. One asked for while the close runs waits for it (see #start), and must not be
    // waited for here: each would wait for the other.
    const cancelled = this.#starting
    await Promise.all(this.links.dependents(this).map((d) => d.close(`dependency "${this.name}" closing`)))
    const elsewhere = this.links.dependentsElsewhere?.(this, 'close')
    if (elsewhere) await elsewhere // (no await at all on one host: a close keeps its timing)
    if (this.state === 'completed') return this.#setState('closed', reason) // no process left: what it did stays
    if (this.state === 'running' || this.state === 'starting') this.#setState('closing', reason)
    const reports = await Promise.all(this.instances.map((i) => i.stop(reason)))
    await cancelled?.catch(() => {})
    if (this.state === 'closing') {
      const report = reports[0]
      this.lastExit = {
        code: report?.code ?? null,
        signal: report?.signal ?? null,
        reason: report?.step === 'sigkill' ? 'sigkill' : report?.step === 'sigterm' ? 'sigterm' : 'closed',
        at: Date.now(),
      }
      this.#setState('closed', reason)
    }
    this.#fit()
  }

  #onExit(instance: Instance, report: ExitReport): void {
    const retiring = instance.state === 'draining' // a reload or a scale-down was letting it go anyway
    if (!instance.exited(report) || this.state !== 'running' || this.#closing) return
    if (this.#ready.length > 0) {
      // Others still serve: this one comes back alone, and nothing else notices.
      if (!retiring && this.instances.includes(instance) && instance.index < this.desired) {
        this.emit('instanceCrash', instance, report)
        void this.#restartAlone(instance)
      } else this.#remove(instance)
      return
    }
    // The last one: the service is down, with all it had.
    for (const other of this.instances) if (other !== instance && other.live) void other.stop('the service went down')
    this.lastExit = { ...instance.lastExit! }
    this.#setState('closed', instance.lastExit!.signal ? `${instance.lastExit!.reason} (${instance.lastExit!.signal})` : `${instance.lastExit!.reason} (exit code ${instance.lastExit!.code})`)
    this.emit('crash', report)
  }

  async #restartAlone(instance: Instance): Promise<void> {
    const abort = (instance.restart = new AbortController())
    try {
      for (;;) {
        const delayMs = this.links.retryInstance?.(this, instance) ?? null
        if (delayMs === null) return
        await sleep(delayMs, abort.signal).catch(() => {})
        if (abort.signal.aborted || this.state !== 'running' || instance.live) return
        if (instance.lastExit?.reason !== 'moved') instance.restarts++
        try {
          await instance.start('restarted alone (other instances serve)')
          return
        } catch {
          if (abort.signal.aborted || this.state !== 'running') return
        }
      }
    } finally {
      if (instance.restart === abort) instance.restart = null
    }
  }

  /** Drains an instance, closes it and lets it go. */
  async #retire(instance: Instance, reason: string): Promise<void> {
    await instance.drain(this.service.drainTimeoutMs)
    await instance.stop(reason)
    this.#remove(instance)
  }

  /** Makes the instances match the count it is meant to have, while none runs: one per number below it. */
  #fit(): void {
    const kept = new Set(this.instances.filter((i) => i.live).map((i) => i.index))
    for (const instance of this.instances.filter((i) => !i.live)) {
      // Beyond the count, or a second one with its number (a reload that a close interrupted).
      if (instance.index >= this.desired || kept.has(instance.index)) this.#remove(instance)
      else kept.add(instance.index)
    }
    for (let index = 0; index < this.desired; index++) if (!this.instances.some((i) => i.index === index)) this.#add(index)
  }

  #add(index: number): Instance {
    const container = this.links.container(this, index)
    const instance = new Instance(this.name, index, container, (i, from, to, reason) => this.#instanceChanged(i, from, to, reason))
    container.on('exit', (report) => this.#onExit(instance, report))
    container.on('started', () => {
      if (this.state !== 'starting' || this.#hasProcess) return
      this.#hasProcess = true
      this.emit('started')
    })
    this.instances.push(instance)
    this.instances.sort((a, b) => a.index - b.index)
    return instance
  }

  #remove(instance: Instance): void {
    const at = this.instances.indexOf(instance)
    if (at === -1) return
    this.instances.splice(at, 1)
    instance.restart?.abort()
    this.links.retire(this, instance)
  }

  #instanceChanged(instance: Instance, from: InstanceState, to: InstanceState, reason: string): void {
    if (from === 'running' || to === 'running') {
      const running = this.instances.filter((i) => i.state === 'running')
      this.#ready = running.filter((i) => i.controller).map((i) => i.controller!)
      this.#remote = running.filter((i) => i.remote && i.target).map((i) => i.target!)
    }
    trace('%s %s → %s (%s)', instance.id, from, to, reason)
    this.emit('instance', instance, from, to, reason)
  }

  #setState(to: ServiceState, reason: string): void {
    const from = this.state
    assertTransition(this.name, from, to)
    this.state = to
    if (to === 'closed') this.startedAt = null
    trace('%s %s → %s (%s)', this.name, from, to, reason)
    this.emit('state', from, to, reason)
  }

  #aborted(): Error {
    return svcError('SVC_ERR_START_ABORTED', `Service "${this.name}" was asked to close while starting; the start was cancelled.`, {
      service: this.name,
    })
  }
}

function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort)
        resolve(v)
      },
      (e) => {
        signal.removeEventListener('abort', onAbort)
        reject(e)
      },
    )
  })
}

function exitText(exit: ExitInfo | null): string {
  if (exit?.signal) return ` (killed by ${exit.signal})`
  return exit?.code != null ? ` (exit code ${exit.code})` : ''
}

function briefError(error: unknown): ExitInfo['error'] {
  const e = error as { name?: string; message?: string; code?: string; stack?: string }
  return { name: e?.name ?? 'Error', message: e?.message ?? String(error), code: e?.code, stack: e?.stack }
}
