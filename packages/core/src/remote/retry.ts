// Retries a caller opts into for idempotent methods (CallOptions.retry, or the manifest's `retry` per dependency).
// Never by default: a call whose instance ended before answering may have done its work, and only the caller knows
// whether doing it twice is harmless.

import { sleep } from '../sleep.js'

/** A call that failed because the instance it went to ended first, or because none ran at that moment. */
const RETRIED = new Set(['SVC_ERR_SERVICE_CLOSED', 'SVC_ERR_SERVICE_NOT_RUNNING'])
/** Before retrying a call that found no instance running: a restart or a reload's replacement is usually that close. */
const NOT_RUNNING_WAIT_MS = 100

/** How a caller retries its calls to one dependency (ResolvedService.retry). */
export interface RetryRule {
  attempts: number
  /** Only these methods; null: all of them. */
  methods: string[] | null
}

/** Extra attempts for `target.method`: the call's own option wins, else the manifest's rule for that dependency. */
export function attemptsFor(rules: Record<string, RetryRule> | undefined, target: string, method: string, option: number | undefined): number {
  if (option !== undefined) return option
  const rule = rules?.[target]
  return rule && (rule.methods === null || rule.methods.includes(method)) ? rule.attempts : 0
}

/** Runs `once`, and again up to `retries` more times while it fails with a retried code. */
export async function withRetries<T>(retries: number, once: () => Promise<T>, signal: AbortSignal): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await once()
    } catch (error) {
      const code = (error as { code?: string }).code
      if (attempt >= retries || !code || !RETRIED.has(code) || signal.aborted) throw error
      if (code === 'SVC_ERR_SERVICE_NOT_RUNNING') await sleep(NOT_RUNNING_WAIT_MS, signal).catch(() => {})
    }
  }
}
