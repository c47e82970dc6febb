// Decides what follows an unexpected exit: restart (after how long), or give up.

import type { ResolvedRestart } from '../manifest/normalize.js'
import { backoffDelay } from './backoff.js'

export type RestartDecision =
  | { action: 'restart'; delayMs: number; attempt: number }
  | { action: 'stay-closed'; why: string }
  | { action: 'give-up'; why: string }

/** An instance its host handed over as it closed (ExitInfo reason 'moved'): not a crash, whatever the policy says —
 * started again at once (here, or followed on the host that takes it), and not counted against maxRestarts. */
export const MOVE: Extract<RestartDecision, { action: 'restart' }> = { action: 'restart', delayMs: 0, attempt: 0 }

/** Restart times within the window, oldest first; the caller keeps this list per service. */
export function decideRestart(
  restart: ResolvedRestart,
  exit: { code: number | null; signal: string | null },
  recentRestarts: number[],
  now: number,
  random?: () => number,
): RestartDecision {
  const cleanExit = exit.code === 0 && exit.signal === null
  if (restart.policy === 'never') return { action: 'stay-closed', why: 'restart policy is "never"' }
  if (restart.policy === 'on-failure' && cleanExit) {
    return { action: 'stay-closed', why: 'exited cleanly (code 0) and the restart policy is "on-failure"' }
  }
  const inWindow = recentRestarts.filter((t) => now - t < restart.windowMs)
  if (inWindow.length >= restart.maxRestarts) {
    return {
      action: 'give-up',
      why: `restarted ${inWindow.length} times within ${restart.windowMs} ms (maxRestarts ${restart.maxRestarts})`,
    }
  }
  return { action: 'restart', delayMs: backoffDelay(restart.backoff, inWindow.length, random), attempt: inWindow.length + 1 }
}

// Start failures that another attempt may not meet, and that the restart policy therefore governs: a service not
// ready in time (its probe, or its start function) or a process gone while it started. A start function that throws,
// a missing program or entry, a protocol mismatch fail the same way every time: reported at once, not retried.
const RETRIED_START_FAILURES = new Set(['SVC_ERR_NOT_READY', 'SVC_ERR_START_TIMEOUT', 'SVC_ERR_EXITED_DURING_START'])

export function retriedStartFailure(error: unknown): boolean {
  return RETRIED_START_FAILURES.has((error as { code?: string } | null)?.code ?? '')
}
