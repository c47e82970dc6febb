// Newline-delimited JSON over a stream socket: the framing of direct calls. JSON.stringify never emits a raw
// newline, so one frame is one line; this is what Node's own 'json' IPC serialization does too.

import type { Socket } from 'node:net'
import { FLUSH_FRAMES } from '../port/frame-writer.js'

/** Largest frame accepted from the other end; a peer that sends more is cut off rather than buffered forever. */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024

export function readFrames(socket: Socket, onFrame: (frame: unknown) => void, onBadFrame: (why: string) => void): void {
  let buffered = ''
  socket.setEncoding('utf8')
  socket.on('data', (chunk: string) => {
    let start = 0
    let newline = chunk.indexOf('\n')
    if (newline === -1) {
      buffered += chunk
      if (buffered.length > MAX_FRAME_BYTES) onBadFrame(`a frame larger than ${MAX_FRAME_BYTES} bytes`)
      return
    }
    while (newline !== -1) {
      const line = buffered + chunk.slice(start, newline)
      buffered = ''
      let frame: unknown
      try {
        frame = JSON.parse(line)
      } catch {
        onBadFrame('a frame that is not JSON')
        return
      }
      onFrame(frame)
      if (socket.destroyed) return
      start = newline + 1
      newline = chunk.indexOf('\n', start)
    }
    buffered = chunk.slice(start)
  })
}

/** Per socket, in a tick that has written already: the lines waiting for its end. */
const queued = new WeakMap<Socket, string[]>()

/**
 * The first frame of a tick is written at once (a lone call or answer waits for nothing); the frames after it in the
 * same tick leave together at its end, or every FLUSH_FRAMES frames, in one socket write.
 * Throws when the frame cannot be serialised (a BigInt, a cycle), like a send on the IPC channel does.
 */
export function writeFrame(socket: Socket, frame: unknown): void {
  const line = JSON.stringify(frame) + '\n'
  const lines = queued.get(socket)
  if (!lines) {
    queued.set(socket, [])
    process.nextTick(endTick, socket)
    socket.write(line)
    return
  }
  lines.push(line)
  if (lines.length >= FLUSH_FRAMES) flushFrames(socket, lines)
}

function flushFrames(socket: Socket, lines: string[]): void {
  if (lines.length === 0) return
  const data = lines.length === 1 ? lines[0]! : lines.join('')
  lines.length = 0
  if (!socket.destroyed) socket.write(data)
}

function endTick(socket: Socket): void {
  const lines = queued.get(socket)
  queued.delete(socket)
  if (lines) flushFrames(socket, lines)
}
