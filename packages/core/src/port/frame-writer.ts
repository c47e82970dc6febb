// Writes frames to a socket in batches: the first frame of a tick leaves at once, the ones after it at the tick's
// end (or every FLUSH_FRAMES frames), in one socket.write where they fit. Frames are encoded straight into a shared
// slab, as Node's Buffer pool does, rather than into a buffer each: that saves an allocation, a byteLength pass and
// a stream write per frame (a few per cent of the CPU a relayed small call costs). Big bodies are not copied: they
// follow as buffers of their own, in order.
//
//   [u32 LE header bytes][u32 LE body word][header][body]      (the layout is FramePort's; see frame-port.ts)

import type { Socket } from 'node:net'
import { compactHeadMax, writeCompactHead, type CompactMessage } from './frame-head.js'

const PREFIX_BYTES = 8
const SLAB_BYTES = 64 * 1024
/** Frames whose text could need more than this are encoded into a buffer of their own. */
const SLAB_FRAME_MAX = SLAB_BYTES / 4
/** Byte bodies up to this size are copied into the slab; bigger ones are written as they are. */
const COPY_MAX = 4 * 1024
/**
 * A tick that queues this many frames hands them on at once rather than at its end. Without it, 128 calls in
 * flight move in lockstep (the caller sends all 128, the manager relays all 128, the callee answers all 128, each
 * process idle while the others work); with it the next process starts on the first 32 while this one goes on.
 * Relayed small calls, 128 in flight, measured 53 k → 75 k/s, at 3–10 % more CPU per call for the extra writes.
 */
export const FLUSH_FRAMES = 32

export class FrameWriter {
  #slab = Buffer.allocUnsafeSlow(SLAB_BYTES)
  /** What of the slab is queued but not yet handed to the socket: [#start, #end). */
  #start = 0
  #end = 0
  /** Buffers ready to be written, in order, ahead of the slab's queued part. */
  #ready: Buffer[] = []
  /** This tick has written already: further frames wait for its end (or for FLUSH_FRAMES of them). */
  #inTick = false
  /** Frames queued since the last flush. */
  #queued = 0

  constructor(private readonly socket: Socket) {}

  /**
   * Queues one frame. `head` is the header as JSON text, or a message with a compact header (frame-head.ts); `body`
   * is JSON text, or bytes already encoded (relayed as they came, or V8-serialised), or null for none; `flag` is
   * OR-ed into the body word (the codec bit).
   */
  write(head: string | CompactMessage, body: string | Buffer | null, flag: number): void {
    const bodyText = typeof body === 'string' ? body : null
    const bodyBytes = typeof body === 'string' ? null : body
    // Worst case UTF-8: 3 bytes per UTF-16 unit.
    const headMax = typeof head === 'string' ? 3 * head.length : compactHeadMax(head)
    const copied = bodyBytes !== null && bodyBytes.length <= COPY_MAX
    const max = PREFIX_BYTES + headMax + 3 * (bodyText?.length ?? 0) + (copied ? bodyBytes.length : 0)
    if (max > SLAB_FRAME_MAX) this.#writeApart(head, bodyText, bodyBytes, flag)
    else {
      if (SLAB_BYTES - this.#end < max) this.#newSlab()
      const slab = this.#slab
      const at = this.#end
      let offset = at + PREFIX_BYTES
      const headLength = typeof head === 'string' ? slab.write(head, offset) : writeCompactHead(head, slab, offset)
      offset += headLength
      let bodyLength = 0
      if (bodyText !== null) {
        bodyLength = slab.write(bodyText, offset)
        offset += bodyLength
      } else if (bodyBytes !== null) {
        bodyLength = bodyBytes.length
        if (copied) offset += bodyBytes.copy(slab, offset)
      }
      slab.writeUInt32LE(headLength, at)
      slab.writeUInt32LE((bodyLength | flag) >>> 0, at + 4)
      this.#end = offset
      if (bodyBytes !== null && !copied) {
        this.#cut()
        this.#ready.push(this.#own(bodyBytes))
      }
    }
    if (!this.#inTick) {
      // The first frame of a tick leaves at once: a lone call or answer waits for nothing.
      this.#inTick = true
      process.nextTick(this.#endTick)
      this.flush()
    } else if (++this.#queued >= FLUSH_FRAMES) this.flush()
  }

  readonly #endTick = (): void => {
    this.#inTick = false
    this.flush()
  }

  /** A frame too big for the slab: its own buffer (and its byte body, if any, as another). */
  #writeApart(head: string | CompactMessage, bodyText: string | null, bodyBytes: Buffer | null, flag: number): void {
    this.#cut()
    const headMax = typeof head === 'string' ? Buffer.byteLength(head) : compactHeadMax(head)
    const bodyLength = bodyText !== null ? Buffer.byteLength(bodyText) : (bodyBytes?.length ?? 0)
    const room = Buffer.allocUnsafe(PREFIX_BYTES + headMax + (bodyText !== null ? bodyLength : 0))
    const headLength = typeof head === 'string' ? room.write(head, PREFIX_BYTES) : writeCompactHead(head, room, PREFIX_BYTES)
    room.writeUInt32LE(headLength, 0)
    room.writeUInt32LE((bodyLength | flag) >>> 0, 4)
    if (bodyText !== null) room.write(bodyText, PREFIX_BYTES + headLength)
    const frame = room.subarray(0, PREFIX_BYTES + headLength + (bodyText !== null ? bodyLength : 0))
    this.#ready.push(frame)
    if (bodyBytes !== null) this.#ready.push(this.#own(bodyBytes))
  }

  /**
   * A relayed body is a view of the read that brought it, which may hold other frames too. Queued behind a backlog
   * (the peer does not read), such a view would keep the whole read alive: a small part of a bigger buffer is copied
   * then, so that what waits is what queuedBytes counts (else many times that, for bodies just over COPY_MAX).
   */
  #own(body: Buffer): Buffer {
    if (this.socket.writableLength === 0 || body.buffer.byteLength < 2 * body.length) return body
    // Not Buffer.from: below half of Buffer.poolSize (4 KiB on Node 20, 32 KiB on Node 24) it copies into a shared
    // pool slab, which other small buffers then keep alive with it.
    const own = Buffer.allocUnsafeSlow(body.length)
    body.copy(own)
    return own
  }

  /** Moves the slab's queued part to the ready list; the slab carries on after it (that part is never rewritten). */
  #cut(): void {
    if (this.#end > this.#start) this.#ready.push(this.#slab.subarray(this.#start, this.#end))
    this.#start = this.#end
  }

  #newSlab(): void {
    this.#cut()
    this.#slab = Buffer.allocUnsafeSlow(SLAB_BYTES)
    this.#start = this.#end = 0
  }

  /** Bytes queued here and not yet handed to the socket. */
  get queuedBytes(): number {
    let bytes = this.#end - this.#start
    for (const buf of this.#ready) bytes += buf.length
    return bytes
  }

  /** Hands everything queued to the socket now (otherwise that happens at the end of the tick). */
  flush(): void {
    this.#queued = 0
    this.#cut()
    const ready = this.#ready
    this.#ready = []
    if (this.socket.destroyed || ready.length === 0) return
    if (ready.length === 1) {
      this.socket.write(ready[0]!)
      return
    }
    this.socket.cork()
    for (const buf of ready) this.socket.write(buf)
    this.socket.uncork()
  }
}
