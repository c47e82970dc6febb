// Newline-delimited JSON on a stream: one message per line, in both directions. Bytes are split where they
// arrive (never re-scanned), so a line costs its length once; the manager also caps a line and its wait.

import type { Socket } from 'node:net'

/** The bounds the manager puts on what a client sends (a client trusts its manager and reads unbounded). */
export interface LineBounds {
  maxLineBytes: number
  partialLineTimeoutMs: number
  /** A bound was broken: no more lines are handled (what else arrives is discarded). */
  exceeded(problem: LineProblem): void
}
export type LineProblem = { kind: 'too-long'; bytes: number } | { kind: 'stalled'; bytes: number }

const NEWLINE = 0x0a

/** Holds lines back: while paused nothing more is handled or read (the rest of a chunk waits, the peer's writes block). */
export interface LineReader {
  pause(): void
  resume(): void
}

export function onLines(socket: Socket, handle: (line: string) => void, bounds?: LineBounds): LineReader {
  let parts: Buffer[] = []
  let partialBytes = 0
  let timer: NodeJS.Timeout | null = null
  let stopped = false
  let paused = false
  let held: Buffer | null = null
  const clearTimer = () => {
    if (timer) clearTimeout(timer)
    timer = null
  }
  const stop = (problem: LineProblem) => {
    stopped = true
    parts = []
    held = null
    clearTimer()
    bounds!.exceeded(problem)
  }
  const read = (chunk: Buffer) => {
    let start = 0
    for (let nl = chunk.indexOf(NEWLINE); nl !== -1; nl = chunk.indexOf(NEWLINE, start)) {
      const bytes = partialBytes + nl - start
      if (bounds && bytes > bounds.maxLineBytes) return stop({ kind: 'too-long', bytes })
      const piece = chunk.subarray(start, nl)
      // A newline byte never occurs inside a UTF-8 sequence: each line decodes on its own.
      const line = (partialBytes > 0 ? Buffer.concat([...parts, piece]) : piece).toString('utf8')
      parts = []
      partialBytes = 0
      start = nl + 1
      clearTimer()
      if (line.trim()) handle(line)
      if (stopped) return
      if (paused) {
        if (start < chunk.length) held = chunk.subarray(start)
        return
      }
    }
    if (start === chunk.length) return
    partialBytes += chunk.length - start
    if (bounds && partialBytes > bounds.maxLineBytes) return stop({ kind: 'too-long', bytes: partialBytes })
    parts.push(chunk.subarray(start))
    startTimer()
  }
  // The time a line may take counts only while we read: a paused reader is not the peer's fault.
  const startTimer = () => {
    if (!bounds || timer || partialBytes === 0) return
    timer = setTimeout(() => stop({ kind: 'stalled', bytes: partialBytes }), bounds.partialLineTimeoutMs)
    timer.unref()
  }
  socket.on('close', clearTimer)
  socket.on('data', (chunk: Buffer) => {
    if (!stopped) read(chunk)
  })
  return {
    pause() {
      if (paused || stopped) return
      paused = true
      clearTimer()
      socket.pause()
    },
    resume() {
      if (!paused || stopped) return
      paused = false
      const rest = held
      held = null
      if (rest) read(rest)
      if (paused || stopped) return
      startTimer()
      socket.resume()
    },
  }
}

/** Writes one message; false when the socket is already gone (the peer left: nothing to do). */
export function sendLine(socket: Socket, message: unknown): boolean {
  if (socket.destroyed || !socket.writable) return false
  socket.write(JSON.stringify(message) + '\n')
  return true
}
