// Newline-delimited JSON on a stream: one message per line, in both directions.

import type { Socket } from 'node:net'

export function onLines(socket: Socket, handle: (line: string) => void): void {
  let buffered = ''
  socket.setEncoding('utf8')
  socket.on('data', (chunk: string) => {
    buffered += chunk
    let newline: number
    while ((newline = buffered.indexOf('\n')) !== -1) {
      const line = buffered.slice(0, newline)
      buffered = buffered.slice(newline + 1)
      if (line.trim()) handle(line)
    }
  })
}

/** Writes one message; false when the socket is already gone (the peer left: nothing to do). */
export function sendLine(socket: Socket, message: unknown): boolean {
  if (socket.destroyed || !socket.writable) return false
  socket.write(JSON.stringify(message) + '\n')
  return true
}
