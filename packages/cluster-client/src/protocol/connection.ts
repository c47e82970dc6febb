// One framed TCP connection: sends requests and matches their responses, surfaces incoming requests,
// and closes itself on the first bad frame. Used on both ends (follower and port owner).

import type { Socket } from 'node:net'
import { EventEmitter } from 'eventemitter3'
import type { ClusterClientError } from '../errors.js'
import { FrameDecoder } from './decoder.js'
import { encodePacket, type ConnObject, type Packet } from './packet.js'

interface Pending {
  resolve(p: Packet): void
  reject(err: Error): void
  timer: NodeJS.Timeout | undefined
  label: string | undefined
}

export interface ConnectionEvents {
  request: [packet: Packet]
  /** A frame was refused; the connection is being destroyed right after. */
  frameError: [err: ClusterClientError]
  close: []
}

export interface ConnectionOptions {
  maxFrameSize: number
  /** The error an in-flight request rejects with when the connection closes under it. */
  lostError: (label: string | undefined) => Error
}

export class Connection extends EventEmitter<ConnectionEvents> {
  readonly remote: string
  private readonly decoder: FrameDecoder
  private readonly pending = new Map<number, Pending>()
  private nextId = 1
  private closedFlag = false
  private frameFailed = false
  private corked = false
  private lostError: (label: string | undefined) => Error

  constructor(
    readonly socket: Socket,
    private readonly options: ConnectionOptions,
  ) {
    super()
    this.remote = `${socket.remoteAddress}:${socket.remotePort}`
    this.lostError = options.lostError
    this.decoder = new FrameDecoder(options.maxFrameSize)
    socket.setNoDelay(true)
    socket.on('data', (chunk: Buffer) => this.onData(chunk))
    socket.on('end', () => {
      try {
        this.decoder.end()
      } catch (err) {
        this.emit('frameError', err as ClusterClientError)
      }
      socket.end()
    })
    socket.on('error', () => {}) // 'close' follows; the owner learns of the loss through it
    socket.on('close', () => this.onClose())
  }

  get closed(): boolean {
    return this.closedFlag
  }

  get inFlight(): number {
    return this.pending.size
  }

  /** Sends a request and resolves with its response; timeoutMs 0 waits forever. */
  request(conn: ConnObject, app: unknown, timeoutMs: number, onTimeout: () => Error, label?: string): Promise<Packet> {
    return new Promise<Packet>((resolve, reject) => {
      if (this.closedFlag) return reject(this.lostError(label))
      const id = this.nextId++
      let frame: Buffer
      try {
        frame = encodePacket({ id, isResponse: false, timeout: timeoutMs, conn, app }, this.options.maxFrameSize)
      } catch (err) {
        return reject(err as Error)
      }
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              this.pending.delete(id)
              reject(onTimeout())
            }, timeoutMs)
          : undefined
      this.pending.set(id, { resolve, reject, timer, label })
      this.write(frame)
    })
  }

  /** A request that gets no response (subscribe, publish, oneway invoke, pushed results). */
  send(conn: ConnObject, app?: unknown): void {
    if (this.closedFlag) return
    this.write(encodePacket({ id: this.nextId++, isResponse: false, conn, app }, this.options.maxFrameSize))
  }

  respond(to: Packet, conn: ConnObject, app?: unknown): void {
    if (this.closedFlag) return
    this.write(encodePacket({ id: to.id, isResponse: true, timeout: to.timeout, conn, app }, this.options.maxFrameSize))
  }

  /** Replaces the error that in-flight requests reject with when the connection closes. */
  setLostError(fn: (label: string | undefined) => Error): void {
    this.lostError = fn
  }

  destroy(): void {
    this.socket.destroy()
  }

  // Frames written in one tick leave in one writev: pipelined calls cost one syscall, not one each.
  private write(frame: Buffer): void {
    if (!this.corked) {
      this.corked = true
      this.socket.cork()
      process.nextTick(() => {
        this.corked = false
        this.socket.uncork()
      })
    }
    this.socket.write(frame)
  }

  private onData(chunk: Buffer): void {
    if (this.frameFailed) return
    try {
      this.decoder.push(chunk, (p) => this.dispatch(p))
    } catch (err) {
      this.frameFailed = true
      this.emit('frameError', err as ClusterClientError)
      // end(), not destroy(): answers already written for the frames before the bad one still go out.
      this.socket.end()
      setTimeout(() => this.socket.destroy(), 1000).unref()
    }
  }

  private dispatch(p: Packet): void {
    if (this.closedFlag) return
    if (!p.isResponse) {
      this.emit('request', p)
      return
    }
    const waiter = this.pending.get(p.id)
    if (!waiter) return // answered after its timeout: the caller has moved on
    this.pending.delete(p.id)
    if (waiter.timer) clearTimeout(waiter.timer)
    waiter.resolve(p)
  }

  private onClose(): void {
    if (this.closedFlag) return
    this.closedFlag = true
    for (const waiter of this.pending.values()) {
      if (waiter.timer) clearTimeout(waiter.timer)
      waiter.reject(this.lostError(waiter.label))
    }
    this.pending.clear()
    this.emit('close')
  }
}
