// Exponential backoff with jitter and a cap: initial · factor^attempt, ± jitter share, never above max.

import type { ResolvedRestart } from '../manifest/normalize.js'

export function backoffDelay(backoff: ResolvedRestart['backoff'], attempt: number, random: () => number = Math.random): number {
  const base = Math.min(backoff.maxMs, backoff.initialMs * backoff.factor ** Math.max(0, attempt))
  const spread = base * backoff.jitter
  return Math.max(0, Math.min(backoff.maxMs, Math.round(base - spread + random() * 2 * spread)))
}
