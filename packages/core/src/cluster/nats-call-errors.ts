// The coded errors of a call over NATS, one wording whichever way it went: between hosts' managers
// (cluster/nats-calls.ts) or between services with NATS users of their own (cluster/service-nats.ts).

import { svcError } from '../errors.js'

/** `what`: `service.method`. */
export function argsTooLarge(what: string, from: string, bytes: number, limit: number): Error {
  return svcError('SVC_ERR_MESSAGE_TOO_LARGE', `The arguments of ${what} from "${from}" are ${bytes} bytes; NATS takes at most ${limit} (its max_payload). Send less, or raise max_payload.`, {
    service: from,
    details: { bytes, limitBytes: limit },
  })
}

export function resultTooLarge(what: string, service: string, bytes: number, limit: number): Error {
  return svcError('SVC_ERR_MESSAGE_TOO_LARGE', `The result of ${what} is ${bytes} bytes; NATS takes at most ${limit} (its max_payload). Return less, or raise max_payload.`, {
    service,
    details: { bytes, limitBytes: limit },
  })
}

export interface FailedCall {
  from: string
  to: string
  method: string
  timeoutMs: number
}

/** A request that failed for another reason than "no responders" (each caller says what that means for it).
 * `denied`: what NATS refusing the subject means, and what to check. */
export function requestFailed(error: unknown, call: FailedCall, denied: string, details: Record<string, unknown> = {}): Error {
  const what = `${call.to}.${call.method}`
  const code = (error as { code?: string }).code
  if (code === 'TIMEOUT') {
    return svcError('SVC_ERR_CALL_TIMEOUT', `Call from "${call.from}" to ${what} across hosts got no answer within ${call.timeoutMs} ms. Is "${call.to}" stuck, or a host cut off?`, {
      service: call.to,
      details: { caller: call.from, method: call.method, timeoutMs: call.timeoutMs, ...details },
    })
  }
  if (code === 'PERMISSIONS_VIOLATION') return svcError('SVC_ERR_ACCESS_DENIED', denied, { service: call.from, cause: error })
  return svcError('SVC_ERR_CLUSTER_UNREACHABLE', `Call from "${call.from}" to ${what} could not cross hosts (${(error as Error).message}).`, { service: call.from, cause: error })
}
