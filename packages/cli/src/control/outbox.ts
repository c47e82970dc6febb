// What the manager queues for one control client, bounded. A client that reads slowly misses log lines (it is
// told how many, per service, once it catches up); one that falls further behind is disconnected, because
// answers and state changes must never be dropped.

import type { LogLine } from '@services-cluster/core'
import type { Socket } from 'node:net'
import type { ControlLimits } from './limits.js'
import type { RpcNotification } from './protocol.js'

export class Outbox {
  /** Log lines dropped per service, not yet reported. */
  readonly #dropped = new Map<string, number>()
  #waitingForDrain = false

  constructor(
    private readonly socket: Socket,
    private readonly limits: Pick<ControlLimits, 'logHighWaterBytes' | 'maxQueuedBytes'>,
    /** Called once the client is too far behind; it disconnects it. */
    private readonly cutOff: (reason: string) => void,
  ) {}

  /** An answer or a notification that must arrive: false when the client is gone, or is cut off now. */
  send(message: unknown): boolean {
    if (this.socket.destroyed || !this.socket.writable) return false
    if (this.socket.writableLength > this.limits.maxQueuedBytes) {
      this.cutOff(`${this.socket.writableLength} bytes were queued for it unread, over the limit of ${this.limits.maxQueuedBytes}`)
      return false
    }
    this.socket.write(JSON.stringify(message) + '\n')
    return true
  }

  /** A log line: dropped and counted while the client is behind; the count follows once it has read the rest. */
  sendLog(line: LogLine): void {
    if (this.socket.destroyed || !this.socket.writable) return
    if (!this.#waitingForDrain) {
      // writableNeedDrain: a write has returned false, so 'drain' will come once the queue is empty.
      if (this.socket.writableLength <= this.limits.logHighWaterBytes || !this.socket.writableNeedDrain) {
        this.#write({ jsonrpc: '2.0', method: 'log', params: line })
        return
      }
      this.#waitingForDrain = true
      this.socket.once('drain', () => this.#reportDrops())
    }
    this.#dropped.set(line.service, (this.#dropped.get(line.service) ?? 0) + 1)
  }

  #reportDrops(): void {
    this.#waitingForDrain = false
    for (const [service, count] of this.#dropped) {
      const line = `[svc] ${count} ${count === 1 ? 'line' : 'lines'} dropped: this client read too slowly`
      this.#write({ jsonrpc: '2.0', method: 'log', params: { at: Date.now(), service, stream: 'stderr', line } })
    }
    this.#dropped.clear()
  }

  #write(message: RpcNotification<'log'>): void {
    this.socket.write(JSON.stringify(message) + '\n')
  }
}
