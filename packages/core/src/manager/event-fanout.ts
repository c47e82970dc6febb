// Delivers an emitted event to each subscriber, unless that subscriber is not reading its channel: events are fire
// and forget, so an event the manager could only queue without bound is dropped instead, counted, and reported.

import type { ServiceController } from '../controller/service-controller.js'
import type { EmitMessage } from '../protocol/messages.js'
import { MAX_QUEUED_BYTES } from './router.js'

/** Drops toward one subscriber are reported this long after the first of them, or at once when an event gets through
 * to it again (if the last report is this long ago): at most one report this often per subscriber. */
export const EVENT_DROP_REPORT_MS = 1000

/** Events of one source and name that one subscriber did not get. */
export interface EventDrop {
  subscriber: string
  source: string
  event: string
  count: number
  /** What waited to be delivered to the subscriber at the last drop, and the bound it was over. */
  queuedBytes: number
  limitBytes: number
}

export interface FanoutHost {
  subscribersOf(source: string, event: string): Iterable<string>
  /** The controller of a service that may receive events now, if any. */
  target(name: string): ServiceController | null
  dropped(drop: EventDrop): void
  /** Takes the event elsewhere instead (a graph across hosts: to NATS, which delivers it back through deliver()). */
  across?(source: string, message: EmitMessage): boolean
}

interface Congestion {
  /** `${source}\0${event}` → events dropped and not reported yet */
  counts: Map<string, { source: string; event: string; count: number }>
  queuedBytes: number
  timer: NodeJS.Timeout
}

export class EventFanout {
  readonly #congested = new Map<string, Congestion>()
  /** subscriber → when its drops were last reported (performance.now()) */
  readonly #reportedAt = new Map<string, number>()

  constructor(
    private readonly host: FanoutHost,
    private readonly maxQueuedBytes = MAX_QUEUED_BYTES,
    private readonly reportMs = EVENT_DROP_REPORT_MS,
  ) {}

  emit(source: string, message: EmitMessage): void {
    if (this.host.across?.(source, message)) return
    for (const subscriber of this.host.subscribersOf(source, message.event)) this.deliver(subscriber, source, message)
  }

  /** Delivers one event to one subscriber, unless it is not reading its channel. */
  deliver(subscriber: string, source: string, message: EmitMessage): void {
    const controller = this.host.target(subscriber)
    if (!controller) return
    // The router's measure: past it the subscriber has not read 16 MiB (by default), and the emitter must not pay for that.
    const queuedBytes = controller.queuedBytes
    if (queuedBytes >= this.maxQueuedBytes) {
      this.#drop(subscriber, source, message.event, queuedBytes)
      return
    }
    try {
      controller.send({ type: 'event', from: source, event: message.event, payload: message.payload })
    } catch {
      // Only an event within a few bytes of the size limit (its header grows by `from`): dropped, as events may be.
    }
    // It reads again: the congestion is over, so say so now, unless a subscriber that hovers at the bound (reads a
    // little, misses a little) would then be reported on every turn: within a second of the last report, the timer does.
    if (this.#congested.has(subscriber) && performance.now() - (this.#reportedAt.get(subscriber) ?? -Infinity) >= this.reportMs) {
      this.#report(subscriber)
    }
  }

  /** `subscriber` exited (or the manager closes): the drops toward it not reported yet are reported now. */
  forget(subscriber: string): void {
    this.#report(subscriber)
    this.#reportedAt.delete(subscriber)
  }

  forgetAll(): void {
    for (const subscriber of [...this.#congested.keys()]) this.forget(subscriber)
    this.#reportedAt.clear()
  }

  #report(subscriber: string): void {
    const congestion = this.#congested.get(subscriber)
    if (!congestion) return
    clearTimeout(congestion.timer)
    this.#congested.delete(subscriber)
    this.#reportedAt.set(subscriber, performance.now())
    for (const { source, event, count } of congestion.counts.values()) {
      this.host.dropped({ subscriber, source, event, count, queuedBytes: congestion.queuedBytes, limitBytes: this.maxQueuedBytes })
    }
  }

  #drop(subscriber: string, source: string, event: string, queuedBytes: number): void {
    let congestion = this.#congested.get(subscriber)
    if (!congestion) {
      // Reported a second after the first drop since the last report: however many events it misses meanwhile, and
      // never twice within a second.
      const timer = setTimeout(() => this.#report(subscriber), this.reportMs).unref()
      this.#congested.set(subscriber, (congestion = { counts: new Map(), queuedBytes, timer }))
    }
    const key = `${source}\0${event}`
    const drops = congestion.counts.get(key)
    if (drops) drops.count++
    else congestion.counts.set(key, { source, event, count: 1 })
    congestion.queuedBytes = queuedBytes
  }
}
