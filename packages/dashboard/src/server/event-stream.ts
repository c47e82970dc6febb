// One server-sent-events connection. A page that stops reading must not make the manager buffer without
// bound: past maxQueuedBytes the connection is dropped, and the browser's EventSource reconnects to a fresh
// snapshot. Log lines are dropped earlier (offer), so a slow log reader keeps its stream.

import type { IncomingMessage, ServerResponse } from 'node:http'
import { debuglog } from 'node:util'
import { securityHeaders } from './http.js'

const trace = debuglog('svc:dashboard')

const HEARTBEAT_MS = 15_000

export class EventStream<M> {
  #open = true
  readonly #heartbeat: NodeJS.Timeout
  readonly #onClose = new Set<() => void>()

  constructor(
    request: IncomingMessage,
    private readonly response: ServerResponse,
    private readonly maxQueuedBytes: number,
    /** Told when the stream is cut off because its reader fell too far behind. */
    private readonly onCutOff: (reason: string) => void = () => {},
  ) {
    response.writeHead(200, securityHeaders({ 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive' }))
    response.flushHeaders()
    // A comment line now and then: proxies keep the connection, and a vanished client is noticed.
    this.#heartbeat = setInterval(() => this.#write(': ping\n\n'), HEARTBEAT_MS)
    this.#heartbeat.unref()
    const end = () => this.#end()
    request.on('close', end)
    response.on('close', end)
    response.on('error', (error) => {
      trace('event stream error: %s', error.message)
      end()
    })
  }

  get open(): boolean {
    return this.#open
  }

  send(message: M): void {
    this.#write(`data: ${JSON.stringify(message)}\n\n`)
  }

  /** Bytes written and not yet taken by the client. */
  get queuedBytes(): number {
    return this.response.writableLength
  }

  /** Runs `callback` once the queue has emptied; false (and never runs it) when no write is waiting for that. */
  whenDrained(callback: () => void): boolean {
    if (!this.#open || !this.response.writableNeedDrain) return false
    this.response.once('drain', callback)
    return true
  }

  /** Runs once when the connection ends, whoever ended it. */
  onClose(callback: () => void): void {
    if (this.#open) this.#onClose.add(callback)
    else callback()
  }

  close(): void {
    if (!this.#open) return
    this.response.end()
    this.#end()
  }

  #write(text: string): void {
    if (!this.#open) return
    if (this.response.writableLength > this.maxQueuedBytes) {
      const queued = this.response.writableLength
      trace('dropping a client that stopped reading (%d bytes buffered)', queued)
      this.response.destroy()
      this.#end()
      this.onCutOff(`a dashboard stream was disconnected: ${queued} bytes were queued for it unread, over the limit of ${this.maxQueuedBytes}`)
      return
    }
    this.response.write(text)
  }

  #end(): void {
    if (!this.#open) return
    this.#open = false
    clearInterval(this.#heartbeat)
    for (const callback of this.#onClose) {
      try {
        callback()
      } catch (error) {
        trace('close callback failed: %s', (error as Error).message)
      }
    }
    this.#onClose.clear()
  }
}
