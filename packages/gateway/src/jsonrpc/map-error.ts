// Turns a rejected service call into a JSON-RPC error in the server-error range, keeping the
// service's own SVC_ERR_… code in `data.code` so clients can branch on it.

import { GatewayErrorCode } from '../errors.js'
import { RpcCode, type RpcErrorObject } from './protocol.js'

// Matched by suffix so the gateway needs no list of core's codes, only its naming convention.
const TIMEOUT_RE = /_TIMEOUT$/
// A service that checks its own arguments says so with a code ending in _INVALID_PARAMS: JSON-RPC's -32602.
const INVALID_PARAMS_RE = /_INVALID_PARAMS$/
const UNAVAILABLE_RE = /_(NOT_RUNNING|UNAVAILABLE|NOT_STARTED|CLOSED|CLOSING|STOPPED|NOT_READY)$|^SVC_ERR_SERVICE_FAILED$/

const jsonSafe = (v: unknown): unknown => {
  try {
    return v === undefined ? undefined : JSON.parse(JSON.stringify(v))
  } catch {
    return undefined
  }
}

export function mapServiceError(err: unknown, method: string): RpcErrorObject {
  const e = (typeof err === 'object' && err !== null ? err : {}) as { code?: unknown; message?: unknown; details?: unknown; data?: unknown }
  const svcCode = typeof e.code === 'string' && e.code !== '' ? e.code : undefined
  const message =
    typeof e.message === 'string' && e.message !== ''
      ? e.message
      : typeof err === 'string' && err !== ''
        ? err
        : `Service call "${method}" failed without an error message`
  const code = svcCode === undefined
    ? RpcCode.SERVICE_ERROR
    : INVALID_PARAMS_RE.test(svcCode)
      ? RpcCode.INVALID_PARAMS
      : TIMEOUT_RE.test(svcCode)
      ? RpcCode.SERVICE_TIMEOUT
      : UNAVAILABLE_RE.test(svcCode)
        ? RpcCode.SERVICE_UNAVAILABLE
        : RpcCode.SERVICE_ERROR
  const data: RpcErrorObject['data'] = { code: svcCode ?? GatewayErrorCode.CALL_FAILED, method }
  // core's ServiceError carries its facts in `details`; other errors sometimes in `data`.
  const extra = jsonSafe(e.details ?? e.data)
  if (extra !== undefined) data.details = extra
  return { code, message, data }
}
