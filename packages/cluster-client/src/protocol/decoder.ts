// Streaming frame decoder: bytes in any chunking -> whole packets out.
// The header is checked as soon as its 24 bytes are in, so an oversized frame is refused before its body
// is buffered. After an error the decoder stays failed: the connection it serves is to be closed.

import { ClusterClientError, ErrorCodes } from '../errors.js'
import { DEFAULT_MAX_FRAME_SIZE, HEADER_LENGTH, decodePacket, readHeader, type Packet } from './packet.js'

export class FrameDecoder {
  private chunks: Buffer[] = []
  private buffered = 0
  /** Length of the frame whose header has been read, or -1 while waiting for a header. */
  private need = -1
  private failed: ClusterClientError | null = null

  constructor(private readonly maxFrameSize = DEFAULT_MAX_FRAME_SIZE) {}

  /** Bytes received but not yet part of a complete frame. */
  get pending(): number {
    return this.buffered
  }

  /**
   * Feeds bytes; hands each frame they complete to `onPacket`, in order. On a bad frame it throws a coded
   * error, after the frames before it were handed over.
   */
  push(chunk: Buffer, onPacket: (p: Packet) => void): void {
    if (this.failed) throw this.failed
    if (chunk.length > 0) {
      this.chunks.push(chunk)
      this.buffered += chunk.length
    }
    for (;;) {
      let packet: Packet
      try {
        if (this.need < 0) {
          if (this.buffered < HEADER_LENGTH) return
          this.need = readHeader(this.peek(HEADER_LENGTH), this.maxFrameSize).frameLength
        }
        if (this.buffered < this.need) return
        const frame = this.take(this.need)
        this.need = -1
        packet = decodePacket(frame, this.maxFrameSize)
      } catch (err) {
        this.fail(err as ClusterClientError)
      }
      onPacket(packet)
      if (this.failed) return
    }
  }

  /** Like push(), collecting the frames: for tests and one-shot use. */
  pushAll(chunk: Buffer): Packet[] {
    const out: Packet[] = []
    this.push(chunk, (p) => out.push(p))
    return out
  }

  /** The stream ended: leftover bytes mean a truncated frame. */
  end(): void {
    if (this.failed) return
    if (this.buffered > 0) {
      const declared = this.need >= 0 ? `; its header declares ${this.need}` : ''
      this.fail(
        new ClusterClientError(
          ErrorCodes.FRAME_TRUNCATED,
          `Connection ended in the middle of a frame: ${this.buffered} bytes received${declared}.`,
        ),
      )
    }
  }

  private fail(err: ClusterClientError): never {
    this.failed = err
    this.chunks = []
    this.buffered = 0
    throw err
  }

  private peek(n: number): Buffer {
    const first = this.chunks[0]!
    if (first.length >= n) return first
    const joined = Buffer.concat(this.chunks)
    this.chunks = [joined]
    return joined
  }

  private take(n: number): Buffer {
    const first = this.chunks[0]!
    let frame: Buffer
    if (first.length >= n) {
      frame = first.subarray(0, n)
      if (first.length === n) this.chunks.shift()
      else this.chunks[0] = first.subarray(n)
    } else {
      // Join only what this frame needs; a big frame is concatenated once, not once per chunk.
      const joined = Buffer.concat(this.chunks)
      frame = joined.subarray(0, n)
      this.chunks = joined.length > n ? [joined.subarray(n)] : []
    }
    this.buffered -= n
    return frame
  }
}
