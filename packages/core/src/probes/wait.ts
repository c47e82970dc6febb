// Waits for a service to become ready: the probe is tried every intervalMs, after startGraceMs, until it succeeds.
// There is no overall deadline here: the caller aborts `signal` when the start times out, is abandoned, or the
// process exits — and then this rejects with the signal's reason and leaves nothing running.

import { debuglog } from 'node:util'
import type { ServiceError } from '../errors.js'
import { checkOnce, type CheckOptions } from './check-once.js'
import { describeProbe } from './describe.js'
import { isProbeFailure } from './failure.js'
import { waitForLine, type LineSource } from './log.js'
import { sleep } from '../sleep.js'
import type { ResolvedProbe } from './types.js'

const trace = debuglog('svc:probe')

export interface WaitOptions extends CheckOptions {
  /** The service's output lines; needed by a log probe. Subscribe at spawn: lines before the call are not seen. */
  lines?: LineSource
  /** After each failed attempt (SVC_ERR_PROBE_FAILED, saying why); a log probe makes no attempts. */
  onAttempt?: (error: ServiceError) => void
}

export async function waitUntilReady(probe: ResolvedProbe, options: WaitOptions): Promise<void> {
  const { signal } = options
  signal.throwIfAborted()
  trace('waiting for %s', describeProbe(probe))
  if (probe.kind === 'log') {
    if (!options.lines) throw new TypeError('waitUntilReady: a log probe needs options.lines')
    return waitForLine(probe, signal, options.lines)
  }
  await sleep(probe.startGraceMs, signal)
  for (let attempt = 1; ; attempt++) {
    const started = performance.now()
    try {
      await checkOnce(probe, options)
      trace('ready after %d attempt(s): %s', attempt, describeProbe(probe))
      return
    } catch (error) {
      signal.throwIfAborted()
      if (!isProbeFailure(error)) throw error
      trace('attempt %d: %s', attempt, error.message)
      options.onAttempt?.(error)
    }
    // Attempts start every intervalMs; one that took longer is followed at once, never overlapped.
    await sleep(probe.intervalMs - (performance.now() - started), signal)
  }
}
