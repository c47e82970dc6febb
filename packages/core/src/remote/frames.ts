// Newline-delimited JSON over a stream socket: the framing of direct calls. JSON.stringify never emits a raw
// newline, so one frame is one line; this is what Node's own 'json' IPC serialization does too.

import type { Socket } from 'node:net'

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

/** Throws when the frame cannot be serialised (a BigInt, a cycle), like a send on the IPC channel does. */
export function writeFrame(socket: Socket, frame: unknown): void {
  socket.write(JSON.stringify(frame) + '\n')
}
