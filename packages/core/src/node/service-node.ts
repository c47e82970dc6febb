// One service in the graph: wraps its container and owns ordering.
//   start: dependencies run first (start() starts them), then the code is sent;
//   close: dependents close first, then this one;
//   a crash (unexpected exit while running) is reported, and the supervisor decides what follows.

import { EventEmitter } from 'eventemitter3'
import { debuglog } from 'node:util'
import type { ExitReport, ServiceContainer } from '../container/service-container.js'
import { svcError } from '../errors.js'
import type { ResolvedService } from '../manifest/normalize.js'
import type { ExitInfo, ServiceState } from '../protocol/snapshot.js'
import { assertTransition } from './states.js'

const trace = debuglog('svc:node')

export interface NodeEvents {
  state: [from: ServiceState, to: ServiceState, reason: string]
  crash: [report: ExitReport]
}

export interface NodeLinks {
  dependencies(node: ServiceNode): ServiceNode[]
  dependents(node: ServiceNode): ServiceNode[]
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
  }

  get name(): string {
    return this.service.name
  }

  /** Asked to start, still waiting for its dependencies (display state `pending`). */
  get pending(): boolean {
    return this.#starting !== null && this.state === 'closed'
  }

  /** Starts dependencies, then this service. Concurrent calls share one attempt. */
  start(reason = 'start'): Promise<void> {
    if (this.state === 'running' && !this.#closing) return Promise.resolve()
    this.#starting ??= this.#start(reason).finally(() => {
      this.#starting = null
    })
    return this.#starting
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
      if (failed) throw new Error(`"${failed.name}" has failed and is not restarted automatically`)
      await untilAborted(Promise.all(dependencies.map((d) => d.start(reason))), abort.signal)
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
      await untilAborted(new Promise((r) => setTimeout(r, ms)), abort.signal).catch(() => {})
    }
    if (abort.signal.aborted) throw this.#aborted()
    this.pendingExitReason = null // left by a run that then closed as asked: not this run's
    this.#setState('starting', reason)
    try {
      await this.container.start()
    } catch (error) {
      this.lastExit = { code: null, signal: null, reason: 'start-failed', at: Date.now(), error: briefError(error) }
      if (this.state === 'starting') this.#setState('closed', 'start failed')
      throw abort.signal.aborted ? this.#aborted() : error
    }
    if (abort.signal.aborted || this.state !== 'starting') throw this.#aborted()
    this.startedAt = Date.now()
    this.#setState('running', reason)
  }

  async #close(reason: string): Promise<void> {
    this.#abort?.abort()
    await Promise.all(this.links.dependents(this).map((d) => d.close(`dependency "${this.name}" closing`)))
    if (this.state === 'running' || this.state === 'starting') this.#setState('closing', reason)
    const report = await this.container.stop(reason)
    await this.#starting?.catch(() => {})
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

function briefError(error: unknown): ExitInfo['error'] {
  const e = error as { name?: string; message?: string; code?: string; stack?: string }
  return { name: e?.name ?? 'Error', message: e?.message ?? String(error), code: e?.code, stack: e?.stack }
}
