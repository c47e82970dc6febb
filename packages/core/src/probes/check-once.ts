// One attempt of a polled probe (http, tcp, exec): resolves when it succeeds, rejects with SVC_ERR_PROBE_FAILED when
// it does not, and with the signal's reason when the caller gives up. Health checks run it on their own interval.

import { runExec, type ExecContext } from './exec.js'
import { isProbeFailure, probeFailed } from './failure.js'
import { getOk } from './http.js'
import { connectOnce } from './tcp.js'
import type { PolledProbe, ResolvedProbe } from './types.js'

export type CheckOptions = ExecContext

const TIMED_OUT = Symbol('timed out')

export async function checkOnce(probe: PolledProbe, options: CheckOptions): Promise<void> {
  const { signal } = options
  signal.throwIfAborted()
  // Only for callers that lost the type: a log probe has no single attempt to make.
  if ((probe as ResolvedProbe).kind === 'log') throw new TypeError('checkOnce: a log probe has no single attempt; use waitUntilReady')
  // execa keeps its own timeout, and kills the program when it runs out.
  if (probe.kind === 'exec') return runExec(probe, options)
  // A timer of our own rather than AbortSignal.timeout(), whose timer would outlive an abandoned start by timeoutMs.
  const attempt = new AbortController()
  const timer = setTimeout(() => attempt.abort(TIMED_OUT), probe.timeoutMs)
  const onAbort = () => attempt.abort(signal.reason)
  signal.addEventListener('abort', onAbort, { once: true })
  try {
    await (probe.kind === 'http' ? getOk(probe, attempt.signal) : connectOnce(probe, attempt.signal))
  } catch (error) {
    signal.throwIfAborted()
    if (attempt.signal.reason === TIMED_OUT) throw probeFailed(probe, `no answer within ${probe.timeoutMs} ms`, { timedOut: true })
    throw isProbeFailure(error) ? error : probeFailed(probe, reasonOf(error), {}, error)
  } finally {
    clearTimeout(timer)
    signal.removeEventListener('abort', onAbort)
  }
  signal.throwIfAborted()
}

// fetch says only "fetch failed": what happened (ECONNREFUSED, ENOTFOUND) is in its cause. A connect to a name with
// both an IPv4 and an IPv6 address fails with an AggregateError whose own message is empty.
function reasonOf(error: unknown): string {
  const e = error as { message?: string; code?: string; cause?: unknown; errors?: unknown[] } | undefined
  if (e?.cause !== undefined && e.message === 'fetch failed') return reasonOf(e.cause)
  if (e?.errors?.length) return e.errors.map(reasonOf).join('; ')
  return e?.message || e?.code || String(error)
}
