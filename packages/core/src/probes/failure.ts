// The one error a failed probe attempt raises: the probe as people read it, why it failed, and the facts behind it.

import { ServiceError, svcError } from '../errors.js'
import { describeProbe } from './describe.js'
import type { ProbeTarget } from './types.js'

export interface ProbeFailureFacts {
  /** The attempt ran out of its timeoutMs (an exec probe was killed). */
  timedOut?: boolean
  /** An http probe's answer. */
  status?: number
  /** An exec probe's exit: its code, or the signal that ended it. */
  exitCode?: number
  signal?: string
}

/** SVC_ERR_PROBE_FAILED: "tcp 127.0.0.1:6390 failed: connect ECONNREFUSED 127.0.0.1:6390". */
export function probeFailed(probe: ProbeTarget, why: string, facts: ProbeFailureFacts = {}, cause?: unknown): ServiceError {
  const details = { probe: describeProbe(probe), kind: probe.kind, timedOut: facts.timedOut ?? false, ...facts }
  return svcError('SVC_ERR_PROBE_FAILED', `${details.probe} failed: ${why}`, { details, cause })
}

export function isProbeFailure(error: unknown): error is ServiceError {
  return error instanceof ServiceError && error.code === 'SVC_ERR_PROBE_FAILED'
}
