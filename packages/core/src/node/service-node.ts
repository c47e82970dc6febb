// One service in the graph: wraps its container and owns ordering.
//   start: dependencies reach their condition first (reach() starts them: 'ready' — they run; 'completed' — a one-shot
//          exited 0; 'started' — their process exists), then the code is sent (a command is spawned);
//   close: dependents close first, then this one;
//   a crash (unexpected exit while running) is reported, and the supervisor decides what follows.

import { EventEmitter } from 'eventemitter3'
import { debuglog } from 'node:util'
import type { ExitReport, ServiceContainer } from '../container/service-container.js'
import { svcError } from '../errors.js'
import type { ResolvedService } from '../manifest/normalize.js'
import type { DependencyCondition } from '../manifest/types.js'
import type { ExitInfo, ServiceState } from '../protocol/snapshot.js'
import { sleep } from '../sleep.js'
import { retriedStartFailure } from '../supervision/restart-policy.js'
import { assertTransition } from './states.js'

const trace = debuglog('svc:node')

export interface NodeEvents {
  state: [from: ServiceState, to: ServiceState, reason: string]
  crash: [report: ExitReport]
  /** The current start has its process (what a dependent's 'started' condition waits for). */
  started: []
}

export interface NodeLinks {
  dependencies(node: ServiceNode): ServiceNode[]
  dependents(node: ServiceNode): ServiceNode[]
  /** After a start failure another attempt may not meet (supervision/supervisor.ts, retriedStartFailure): how long to
   * wait before the next attempt, or null to give the start up. Absent: never retried. */
  retryStart?(node: ServiceNode): number | null
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
  /** Why the next unexpected exit happens, when the manager causes it (an unhealthy service it killed, a channel it
   * closed because the service broke the protocol). */
  pendingExitReason: 'unhealthy' | 'lost-channel' | null = null
  /** The current start has its process: a Node service got its code, a command was spawned. */
  #hasProcess = false
  #starting: Promise<void> | null = null
  #closing: Promise<void> | null = null
  #abort: AbortController | null = null

  constructor(
    readonly service: ResolvedService,
    readonly container: ServiceContainer,
    private readonly links: NodeLinks,
  ) {
    super()
    container.on('exit', (report) => this.#onExit(report))
    container.on('started', () => {
      if (this.state !== 'starting') return
      this.#hasProcess = true
      this.emit('started')
    })
  }

  get name(): string {
    return this.service.name
  }

  /** Asked to start, still waiting for its dependencies (display state `pending`). */
  get pending(): boolean {
    return this.#starting !== null && this.state === 'closed'
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
      await this.container.stop('not started') // a pre-spawned process must not linger
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
    if (abort.signal.aborted) throw this.#aborted()
    // Dependents waiting for this start keep waiting while a failed attempt is retried (see #attempt).
    while (!(await this.#attempt(reason, abort.signal))) reason = 'restart (start failed)'
    if (abort.signal.aborted || this.state !== 'starting') throw this.#aborted()
    if (this.service.oneshot) {
      this.lastExit = { code: 0, signal: null, reason: 'completed', at: Date.now() }
      this.#setState('completed', reason)
      return
    }
    this.startedAt = Date.now()
    this.#setState('running', reason)
  }

  /** One attempt at starting the process: true once it runs, false when the policy asks for another after a wait. */
  async #attempt(reason: string, signal: AbortSignal): Promise<boolean> {
    this.pendingExitReason = null // left by a run that then closed as asked: not this run's
    this.#hasProcess = false
    this.#setState('starting', reason)
    try {
      await this.container.start()
      return true
    } catch (error) {
      // A process that ended during its start says how in the error's details (a one-shot's exit, say).
      const exit = (error as { details?: { code?: unknown; signal?: unknown } }).details
      const code = typeof exit?.code === 'number' ? exit.code : null
      const exitSignal = typeof exit?.signal === 'string' ? exit.signal : null
      this.lastExit = { code, signal: exitSignal, reason: 'start-failed', at: Date.now(), error: briefError(error) }
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
  }

  async #close(reason: string): Promise<void> {
    this.#abort?.abort()
    // The start this close cancels. One asked for while the close runs waits for it (see #start), and must not be
    // waited for here: each would wait for the other.
    const cancelled = this.#starting
    await Promise.all(this.links.dependents(this).map((d) => d.close(`dependency "${this.name}" closing`)))
    if (this.state === 'completed') return this.#setState('closed', reason) // no process left: what it did stays
    if (this.state === 'running' || this.state === 'starting') this.#setState('closing', reason)
    const report = await this.container.stop(reason)
    await cancelled?.catch(() => {})
    if (this.state === 'closing') {
      this.lastExit = {
        code: report.code,
        signal: report.signal,
        reason: report.step === 'sigkill' ? 'sigkill' : report.step === 'sigterm' ? 'sigterm' : 'closed',
        at: Date.now(),
      }
      this.#setState('closed', reason)
    }
  }

  #onExit(report: ExitReport): void {
    if (report.expected || this.state !== 'running' || this.#closing) return
    const reason = this.pendingExitReason ?? 'crashed'
    this.pendingExitReason = null
    this.lastExit = { code: report.code, signal: report.signal, reason, at: Date.now() }
    this.#setState('closed', report.signal ? `${reason} (${report.signal})` : `${reason} (exit code ${report.code})`)
    this.emit('crash', report)
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
