// One process of a service (`api#0`, `api#1` …): its container, where it runs, and where it is in its own life.
// A service has instances; the service's state (node/states.ts) says what the graph sees, an instance's what its own
// process does: several may come and go (a crash while others serve, a reload, a scale) while the service runs.

import { hostname } from 'node:os'
import type { ExitReport, ServiceContainer } from '../container/service-container.js'
import type { ServiceController } from '../controller/service-controller.js'
import type { CallTarget } from '../manager/router.js'
import { svcError } from '../errors.js'
import type { ExitInfo, InstanceState } from '../protocol/snapshot.js'

const ALLOWED: Record<InstanceState, InstanceState[]> = {
  closed: ['starting'],
  starting: ['running', 'closing', 'closed'],
  running: ['draining', 'closing', 'closed'], // running → closed: it crashed
  draining: ['closing', 'closed'], // a reload or a scale-down: it finishes its calls and gets no new ones
  closing: ['closed'],
}

/** Where an instance runs: this host, or another of the cluster (cluster/placed-container.ts decides at each start). */
export interface Placement {
  host: string
}

let LOCAL: Placement = Object.freeze({ host: hostname() })

/** The id this host goes by in snapshots: its hostname, or the cluster host id it was started with. */
export function setLocalHost(host: string): void {
  LOCAL = Object.freeze({ host })
}

export class Instance {
  state: InstanceState = 'closed'
  startedAt: number | null = null
  lastExit: ExitInfo | null = null
  restarts = 0
  /** Why its next unexpected exit happens, when the manager causes it (an unhealthy instance it killed, a channel it
   * closed because the process broke the protocol). */
  pendingExitReason: 'unhealthy' | 'lost-channel' | null = null
  /** A restart of this instance alone is waiting or under way; aborted when the service closes or goes down. */
  restart: AbortController | null = null

  constructor(
    readonly service: string,
    readonly index: number,
    readonly container: ServiceContainer,
    private readonly changed: (instance: Instance, from: InstanceState, to: InstanceState, reason: string) => void,
  ) {}

  get id(): string {
    return `${this.service}#${this.index}`
  }

  get controller(): ServiceController | null {
    return this.container.controller
  }

  /** Where it runs now. */
  get placement(): Placement {
    const host = this.container.host
    return host === null ? LOCAL : { host }
  }

  /** Runs on another host: calls reach it over the cluster (`peer`), and this host neither starts nor stops it. */
  get remote(): boolean {
    return this.container.host !== null
  }

  /** Where calls to it go while it runs: its controller here, or its peer on another host. */
  get target(): CallTarget | null {
    return this.container.peer ?? this.container.controller
  }

  get pid(): number | null {
    return this.container.pid
  }

  /** Calls sent to it and not answered yet. */
  get inFlight(): number {
    return this.target?.inFlight ?? 0
  }

  get live(): boolean {
    return this.state !== 'closed'
  }

  /** Starts its process and resolves once it runs; on failure it is closed again when this rejects. */
  async start(reason: string): Promise<void> {
    this.pendingExitReason = null // left by a run that then closed as asked: not this run's
    this.set('starting', reason)
    try {
      await this.container.start()
    } catch (error) {
      const exit = (error as { details?: { code?: unknown; signal?: unknown } }).details
      this.lastExit = {
        code: typeof exit?.code === 'number' ? exit.code : null,
        signal: typeof exit?.signal === 'string' ? exit.signal : null,
        reason: 'start-failed',
        at: Date.now(),
      }
      if (this.state === 'starting') this.set('closed', 'start failed')
      throw error
    }
    if (this.state !== 'starting') {
      throw svcError('SVC_ERR_START_ABORTED', `Instance ${this.id} was asked to close while starting; the start was cancelled.`, { service: this.service })
    }
    this.startedAt = Date.now()
    this.set('running', reason)
  }

  /** Asks its process to close (escalating to signals); resolves with how it ended. */
  async stop(reason: string): Promise<ExitReport> {
    this.restart?.abort()
    if (this.state === 'running' || this.state === 'starting' || this.state === 'draining') this.set('closing', reason)
    const report = await this.container.stop(reason)
    if (this.state === 'closing') {
      this.lastExit = {
        code: report.code,
        signal: report.signal,
        reason: report.step === 'sigkill' ? 'sigkill' : report.step === 'sigterm' ? 'sigterm' : 'closed',
        at: Date.now(),
      }
      this.set('closed', reason)
    }
    return report
  }

  /** Takes no new calls; resolves once the ones it has are answered, or after `timeoutMs` (the rest then fail when it
   * closes, coded, as any call to a process that ends). */
  async drain(timeoutMs: number): Promise<void> {
    if (this.state !== 'running') return
    this.set('draining', 'draining')
    await this.target?.whenIdle(timeoutMs)
  }

  /** A one-shot's process exited 0: nothing runs any more, and its next start runs it again. */
  completed(): void {
    if (this.state !== 'running') return
    this.lastExit = { code: 0, signal: null, reason: 'completed', at: Date.now() }
    this.set('closed', 'completed')
  }

  /** Its process ended without being asked to: recorded, and true when that was a crash of a running instance. */
  exited(report: ExitReport): boolean {
    if (report.expected || (this.state !== 'running' && this.state !== 'draining')) return false
    const reason = report.step === 'moved' ? 'moved' : (this.pendingExitReason ?? 'crashed')
    this.pendingExitReason = null
    this.lastExit = { code: report.code, signal: report.signal, reason, at: Date.now() }
    this.set('closed', report.signal ? `${reason} (${report.signal})` : `${reason} (exit code ${report.code})`)
    return true
  }

  set(to: InstanceState, reason: string): void {
    const from = this.state
    if (!ALLOWED[from].includes(to)) {
      throw svcError('SVC_ERR_ILLEGAL_TRANSITION', `Instance ${this.id} cannot go from ${from} to ${to}. This is a bug in services-cluster; please report it.`, {
        service: this.service,
        details: { from, to },
      })
    }
    this.state = to
    if (to === 'closed') this.startedAt = null
    this.changed(this, from, to, reason)
  }
}
