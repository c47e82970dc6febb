// A ConnectionPort over a stream socket (the pipe on fd 3 between the manager and a service process, and a direct
// channel between two services), with frames the manager can route without decoding what they carry:
//
//   [u32 LE header bytes][u32 LE body word][header: the message minus its body][body]
//
// The header is JSON, or for the messages a call is made of a compact binary form (port/frame-head.ts).
// The body is a message's bulky field (BODY_FIELDS: a request's args, a result's value, an event's payload). The
// body word is its length, with the top bit set when it is V8-serialised rather than JSON (protocol/body-codec.ts:
// long strings go that way). A port made with `rawBodies` hands a body on as a RawBody of the bytes it arrived in,
// and writes a RawBody back out as those same bytes: that is how the manager relays a call without decoding or
// re-encoding its payload. A service's port decodes bodies. Frames sent within one tick go out together
// (port/frame-writer.ts).

import type { Socket } from 'node:net'
import { chooseCodec, decodeBody, serializeV8, type BodyCodec } from '../protocol/body-codec.js'
import { BODY_FIELDS } from '../protocol/messages.js'
import { RawBody } from '../protocol/raw-body.js'
import { ConnectionPort } from './connection-port.js'
import { asCompact, compactHeadMax, readHead, type CompactMessage } from './frame-head.js'
import { FrameWriter } from './frame-writer.js'
import { frameTooLarge } from './message-size.js'

const PREFIX_BYTES = 8
/** Larger frames are a broken or hostile peer: the channel is closed rather than buffered without bound. */
export const MAX_FRAME_BYTES = 512 * 1024 * 1024
/** The body word's top bit: the body is V8-serialised. Lengths stay below it (MAX_FRAME_BYTES < 2^31). */
const V8_BODY = 0x80000000

export class FramePort<In, Out> extends ConnectionPort<In, Out> {
  #closed = false
  readonly #writer: FrameWriter
  #chunks: Buffer[] = []
  #buffered = 0
  #needed = PREFIX_BYTES
  #violation: string | null = null
  /** Reads so far: an unfinished frame that gets no further within partialFrameTimeoutMs is a broken peer. */
  #reads = 0
  #partialTimer: NodeJS.Timeout | null = null

  /** `partialFrameTimeoutMs`: how long an unfinished frame may go without another byte before the channel is closed
   * as broken (a truncated frame would otherwise hold everything behind it forever). Unset: no limit. */
  constructor(
    private readonly socket: Socket,
    private readonly options: { rawBodies: boolean; maxFrameBytes?: number; partialFrameTimeoutMs?: number },
  ) {
    super()
    this.#writer = new FrameWriter(socket)
    socket.on('data', (chunk: Buffer) => this.#onData(chunk))
    socket.on('error', () => this.#markClosed()) // EPIPE/ECONNRESET: the other end is gone, as 'close' will say
    socket.on('close', () => this.#markClosed())
    socket.on('end', () => this.close())
  }

  get closed(): boolean {
    return this.#closed
  }

  override get violation(): string | null {
    return this.#violation
  }

  send(message: Out): boolean {
    if (this.#closed || this.socket.destroyed) return false
    const m = message as Record<string, unknown>
    const field = BODY_FIELDS[m.type as string]
    const value = field === undefined ? undefined : m[field]
    const compact = asCompact(m)
    if (value === undefined) {
      this.#write(compact ?? JSON.stringify(m), null, 0)
      return true
    }
    // The header is the message without its body: blank the field for one synchronous stringify rather than copy
    // the message. Serialising throws (a BigInt, a cycle) before anything is written, as on Node's IPC channel.
    let head: string | CompactMessage
    if (compact) head = compact
    else {
      m[field!] = undefined
      try {
        head = JSON.stringify(m)
      } finally {
        m[field!] = value
      }
    }
    if (value instanceof RawBody) {
      this.#write(head, value.bytes, value.codec === 'v8' ? V8_BODY : 0) // relayed: the bytes as they came
      return true
    }
    const v8Body = chooseCodec(value) === 'v8' ? serializeV8(value) : null
    if (v8Body) {
      this.#write(head, v8Body, V8_BODY)
      return true
    }
    // undefined for a function or a symbol: dropped, as JSON drops such a field.
    const body = JSON.stringify(value) as string | undefined
    this.#write(head, body ?? null, 0)
    return true
  }

  /** Bytes handed to this port and not yet taken by the kernel: what the peer has not read yet, as far as we know. */
  override get queuedBytes(): number {
    return this.socket.writableLength + this.#writer.queuedBytes
  }

  // A frame the peer would refuse (and close the channel over) is not written: SVC_ERR_MESSAGE_TOO_LARGE instead.
  #write(head: string | CompactMessage, body: string | Buffer | null, flag: number): void {
    const limit = this.options.maxFrameBytes ?? MAX_FRAME_BYTES
    // At most 3 UTF-8 bytes per UTF-16 unit: only a message near the limit is measured exactly.
    const headMax = typeof head === 'string' ? 3 * head.length : compactHeadMax(head)
    const bodyMax = typeof body === 'string' ? 3 * body.length : (body?.length ?? 0)
    if (headMax + bodyMax > limit) {
      const bytes =
        (typeof head === 'string' ? Buffer.byteLength(head) : headMax) + (typeof body === 'string' ? Buffer.byteLength(body) : bodyMax)
      if (bytes > limit) throw frameTooLarge(bytes, limit)
    }
    this.#writer.write(head, body, flag)
  }

  /** Hands the frames sent in this tick to the socket now, ahead of anything written to it directly. */
  flush(): void {
    this.#writer.flush()
  }

  close(): void {
    if (this.#closed) return
    this.socket.destroy()
    this.#markClosed()
  }

  #onData(chunk: Buffer): void {
    this.#chunks.push(chunk)
    this.#buffered += chunk.length
    this.#reads++
    if (this.#buffered < this.#needed) return this.#awaitRest() // a big frame arrives in many chunks: join them once, when complete
    const buf = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks, this.#buffered)
    let offset = 0
    for (;;) {
      if (buf.length - offset < PREFIX_BYTES) {
        this.#needed = PREFIX_BYTES
        break
      }
      const headBytes = buf.readUInt32LE(offset)
      const word = buf.readUInt32LE(offset + 4)
      const bodyBytes = word & ~V8_BODY
      const codec: BodyCodec = word & V8_BODY ? 'v8' : 'json'
      const max = this.options.maxFrameBytes ?? MAX_FRAME_BYTES
      if (headBytes + bodyBytes > max) return this.#violate(`a frame of ${headBytes + bodyBytes} bytes, over the limit of ${max}`)
      const end = offset + PREFIX_BYTES + headBytes + bodyBytes
      if (buf.length < end) {
        this.#needed = end - offset
        break
      }
      const bodyStart = offset + PREFIX_BYTES + headBytes
      let message: Record<string, unknown>
      let field: string | undefined
      try {
        message = readHead(buf, offset + PREFIX_BYTES, bodyStart)
        field = BODY_FIELDS[message.type as string]
        if (bodyBytes > 0 && !field) throw new Error('a body on a message that has none')
      } catch (error) {
        // The peer does not speak this framing: nothing after it can be trusted either.
        return this.#violate(`bytes that are not a protocol frame (${(error as Error).message})`)
      }
      offset = end
      if (bodyBytes > 0) {
        if (this.options.rawBodies) {
          // A view of the read buffer, not a copy: a relayed payload lives only until it is written on.
          message[field!] = new RawBody(buf.subarray(bodyStart, end), codec)
        } else {
          try {
            message[field!] = decodeBody(buf.subarray(bodyStart, end), codec)
          } catch {
            // A body is relayed unchecked, so a broken one may come from another service writing to its own pipe:
            // drop that message (its call times out) rather than this channel.
            continue
          }
        }
      }
      this.emit('message', message as In)
      if (this.#closed) return
    }
    const rest = buf.subarray(offset)
    this.#chunks = rest.length > 0 ? [rest] : []
    this.#buffered = rest.length
    this.#awaitRest()
  }

  // Bytes of an unfinished frame are buffered: (re)start the clock on the rest. The timer is kept, not cleared, when
  // a frame completes (it fires, finds nothing unfinished and stays idle): one refresh per read is all it costs.
  #awaitRest(): void {
    const timeoutMs = this.options.partialFrameTimeoutMs
    if (timeoutMs === undefined || this.#buffered === 0 || this.#closed) return
    if (this.#partialTimer) this.#partialTimer.refresh()
    else this.#partialTimer = setTimeout(() => this.#onPartialTimeout(timeoutMs), timeoutMs).unref()
  }

  #onPartialTimeout(timeoutMs: number): void {
    if (this.#buffered === 0 || this.#closed) return
    // Timers run before the loop reads the socket: if this process was busy, let it read what is waiting first.
    const reads = this.#reads
    setImmediate(() => {
      if (this.#buffered === 0 || this.#closed || this.#reads !== reads) return // it moved on (and re-armed the timer)
      this.#violate(`an unfinished frame: ${this.#buffered} of its ${this.#needed} bytes arrived, then nothing for ${timeoutMs} ms`)
    })
  }

  #violate(reason: string): void {
    this.#violation ??= reason
    this.close()
  }

  #markClosed(): void {
    if (this.#closed) return
    this.#closed = true
    if (this.#partialTimer) clearTimeout(this.#partialTimer)
    this.emit('close')
  }
}
