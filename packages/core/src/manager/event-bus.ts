// Events between services: a subscriber receives `event` from `source` only if it may use that source.

export interface BusListener {
  subscribed(subscriber: string, source: string, event: string): void
  dropped(subscriber: string): void
}

export class EventBus {
  /** `${source}\0${event}` → subscriber names */
  readonly #subscribers = new Map<string, Set<string>>()
  /** Told of subscriptions (a graph across hosts subscribes to the other hosts' events for them). */
  listener: BusListener | null = null

  subscribe(subscriber: string, source: string, event: string): void {
    const key = `${source}\0${event}`
    let set = this.#subscribers.get(key)
    if (!set) this.#subscribers.set(key, (set = new Set()))
    set.add(subscriber)
    this.listener?.subscribed(subscriber, source, event)
  }

  unsubscribe(subscriber: string, source: string, event: string): void {
    this.#subscribers.get(`${source}\0${event}`)?.delete(subscriber)
  }

  /** A subscriber's process ended: its subscriptions went with it (a new process subscribes again). */
  dropSubscriber(subscriber: string): void {
    for (const set of this.#subscribers.values()) set.delete(subscriber)
    this.listener?.dropped(subscriber)
  }

  subscribersOf(source: string, event: string): Iterable<string> {
    return this.#subscribers.get(`${source}\0${event}`) ?? []
  }
}
