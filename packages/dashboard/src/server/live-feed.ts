// Source → model → every open page. A page gets the whole model first, then each change; usage samples are
// batched (the manager samples all services in one burst about once a second).

import { debuglog } from 'node:util'
import type { DashboardEvent, DashboardInfo, UsagePoint } from '../protocol.js'
import type { DashboardSource, SourceEvent } from '../source.js'
import type { EventStream } from './event-stream.js'
import { LiveModel } from './live-model.js'

const trace = debuglog('svc:dashboard')

const USAGE_BATCH_MS = 100

export class LiveFeed {
  readonly model: LiveModel
  readonly #pages = new Set<EventStream<DashboardEvent>>()
  readonly #closingListeners = new Set<(reason: string) => void>()
  #unsubscribe: (() => void) | null = null
  #pendingUsage: UsagePoint[] = []
  #usageTimer: NodeJS.Timeout | null = null
  #closed: string | null = null

  constructor(
    private readonly source: DashboardSource,
    historyLength: number,
  ) {
    this.model = new LiveModel(historyLength)
  }

  /** Subscribes first, then reads the current state, so no change falls between the two. */
  async open(): Promise<void> {
    this.#unsubscribe = this.source.subscribe((event) => {
      // Called from the manager's own event emitter: a failure here must never reach it.
      try {
        this.#apply(event)
      } catch (error) {
        trace('applying %s failed: %s', event.type, (error as Error).stack)
      }
    })
    const [services, history] = await Promise.all([this.source.services(), this.source.usageHistory()])
    this.model.seed(services, history)
  }

  info(): DashboardInfo {
    return { ...this.source.info(), historyLength: this.model.historyLength }
  }

  get closedReason(): string | null {
    return this.#closed
  }

  /** A new page: the whole picture now, then every change. */
  addPage(stream: EventStream<DashboardEvent>): void {
    if (this.#closed !== null) {
      stream.send({ type: 'closing', reason: this.#closed })
      stream.close()
      return
    }
    stream.send({ type: 'snapshot', info: this.info(), services: this.model.services(), history: this.model.history() })
    this.#pages.add(stream)
    stream.onClose(() => this.#pages.delete(stream))
  }

  /** Called once when the feed closes (the manager went away, or the dashboard is stopping). */
  onClosing(listener: (reason: string) => void): void {
    this.#closingListeners.add(listener)
  }

  close(reason: string): void {
    if (this.#closed !== null) return
    this.#closed = reason
    this.#unsubscribe?.()
    this.#flushUsage()
    this.#broadcast({ type: 'closing', reason })
    for (const page of this.#pages) page.close()
    this.#pages.clear()
    for (const listener of this.#closingListeners) listener(reason)
  }

  #apply(event: SourceEvent): void {
    switch (event.type) {
      case 'service':
        this.#flushUsage() // keep the order the manager saw: samples taken before a state change go first
        this.#broadcast({ type: 'service', service: this.model.update(event.update) })
        break
      case 'usage':
        if (this.model.usage(event.service, event.sample)) {
          this.#pendingUsage.push({ service: event.service, ...event.sample })
          this.#usageTimer ??= setTimeout(() => this.#flushUsage(), USAGE_BATCH_MS)
        }
        break
      case 'closing':
        this.close(event.reason)
        break
      default: {
        const unknown: never = event
        trace('unknown source event %o', unknown)
      }
    }
  }

  #flushUsage(): void {
    if (this.#usageTimer) clearTimeout(this.#usageTimer)
    this.#usageTimer = null
    if (this.#pendingUsage.length === 0) return
    const samples = this.#pendingUsage
    this.#pendingUsage = []
    this.#broadcast({ type: 'usage', samples })
  }

  #broadcast(event: DashboardEvent): void {
    for (const page of this.#pages) page.send(event)
  }
}
