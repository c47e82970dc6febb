// A log probe: ready when a line of the service's output matches, but never before its startGraceMs. It subscribes
// before the grace starts, so a line written during the grace still counts (when the grace ends).

import type { ResolvedProbe } from './types.js'

/** Subscribes to the service's output lines (stdout and stderr); returns the unsubscribe. */
export type LineSource = (listener: (line: string) => void) => () => void

export function waitForLine(probe: Extract<ResolvedProbe, { kind: 'log' }>, signal: AbortSignal, lines: LineSource): Promise<void> {
  const pattern = new RegExp(probe.pattern)
  return new Promise((resolve, reject) => {
    let settled = false
    let matched = false
    let graceOver = probe.startGraceMs === 0
    let unsubscribe: (() => void) | undefined
    let listening = true
    // Called at most once; a call while the source is still subscribing takes effect once it returns.
    const stopListening = () => {
      listening = false
      const off = unsubscribe
      unsubscribe = undefined
      off?.()
    }
    let timer: NodeJS.Timeout | undefined
    const settle = (error?: unknown) => {
      if (settled) return
      settled = true
      stopListening()
      clearTimeout(timer)
      signal.removeEventListener('abort', onAbort)
      if (error === undefined) resolve()
      else reject(error)
    }
    const onAbort = () => settle(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    unsubscribe = lines((line) => {
      if (settled || matched || !pattern.test(line)) return
      matched = true
      // One match is all it takes: stop listening now, even if the grace has some way to go.
      if (graceOver) settle()
      else stopListening()
    })
    // The source may replay lines while subscribing, before `unsubscribe` was known.
    if (!listening) stopListening()
    if (settled) return
    if (!graceOver) {
      timer = setTimeout(() => {
        graceOver = true
        if (matched) settle()
      }, probe.startGraceMs)
    }
  })
}
