// Two connected in-process ports: unit tests drive a controller and a remote without any process.

import { ConnectionPort } from './connection-port.js'

class MemoryPort<In, Out> extends ConnectionPort<In, Out> {
  peer!: MemoryPort<Out, In>
  #closed = false

  get closed(): boolean {
    return this.#closed
  }

  send(message: Out): boolean {
    if (this.#closed) return false
    // Round-trip through JSON, as a real channel would, so tests catch non-serialisable payloads;
    // deliver asynchronously, as a real channel would, so tests catch ordering assumptions.
    const copy = JSON.parse(JSON.stringify(message)) as Out
    queueMicrotask(() => {
      if (!this.peer.#closed) this.peer.emit('message', copy)
    })
    return true
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    queueMicrotask(() => {
      this.emit('close')
      this.peer.close()
    })
  }
}

export function createMemoryPortPair<A, B>(): [ConnectionPort<A, B>, ConnectionPort<B, A>] {
  const a = new MemoryPort<A, B>()
  const b = new MemoryPort<B, A>()
  a.peer = b
  b.peer = a
  return [a, b]
}
