// Event handlers this service registered with ctx.on(): one upstream subscription per (service, event).

import type { RemoteMessage } from '../protocol/messages.js'

type Handler = (payload: unknown) => void

export class Subscriptions {
  readonly #handlers = new Map<string, Set<Handler>>()

  constructor(
    private readonly send: (message: RemoteMessage) => boolean,
    private readonly onHandlerError: (error: unknown) => void,
  ) {}

  on(service: string, event: string, handler: Handler): () => void {
    const key = `${service}\0${event}`
    let set = this.#handlers.get(key)
    if (!set) {
      set = new Set()
      this.#handlers.set(key, set)
      this.send({ type: 'subscribe', service, event })
    }
    set.add(handler)
    return () => {
      if (!set.delete(handler) || set.size > 0) return
      this.#handlers.delete(key)
      this.send({ type: 'unsubscribe', service, event })
    }
  }

  dispatch(from: string, event: string, payload: unknown): void {
    const set = this.#handlers.get(`${from}\0${event}`)
    if (!set) return
    for (const handler of set) {
      try {
        handler(payload)
      } catch (error) {
        this.onHandlerError(error)
      }
    }
  }
}
