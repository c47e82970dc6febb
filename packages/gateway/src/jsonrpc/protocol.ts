// JSON-RPC 2.0 envelopes (https://www.jsonrpc.org/specification) and the gateway's error-code table.
// Transport-free: the HTTP server and the Redis channel both speak through these shapes.

export const JSONRPC_VERSION = '2.0'

/** Standard codes, plus the gateway's own slots in the "server error" range (-32000 … -32099). */
export const RpcCode = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  /** The service method rejected; `data.code` is its SVC_ERR_… code. */
  SERVICE_ERROR: -32000,
  UNAUTHORIZED: -32001,
  BODY_TOO_LARGE: -32002,
  /** The call to the service timed out (its code ends in `_TIMEOUT`). */
  SERVICE_TIMEOUT: -32003,
  /** The service is not running (its code ends in `_NOT_RUNNING`, `_UNAVAILABLE`, …). */
  SERVICE_UNAVAILABLE: -32004,
} as const

export type RpcId = string | number | null

export interface RpcErrorObject {
  code: number
  message: string
  data?: { code: string } & Record<string, unknown>
}

export type RpcResponse =
  | { jsonrpc: '2.0'; result: unknown; id: RpcId }
  | { jsonrpc: '2.0'; error: RpcErrorObject; id: RpcId }

/** A request after validation: `id` is absent for notifications. */
export interface RpcCall {
  method: string
  params: unknown[] | Record<string, unknown> | undefined
  id?: RpcId
  isNotification: boolean
}

export type Checked = { ok: true; call: RpcCall } | { ok: false; error: RpcErrorObject; id: RpcId }

export const rpcError = (code: number, message: string, dataCode: string, facts?: Record<string, unknown>): RpcErrorObject => ({
  code,
  message,
  data: { code: dataCode, ...facts },
})

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

const isValidId = (v: unknown): v is RpcId =>
  v === null || typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v))

// Validates one Request object. An invalid one is answered with id null unless its id itself was valid,
// so a client can still correlate e.g. a wrong `jsonrpc` version with its request.
export function checkRequest(value: unknown): Checked {
  const invalid = (why: string, id: RpcId = null): Checked => ({
    ok: false,
    id,
    error: rpcError(RpcCode.INVALID_REQUEST, `Invalid Request: ${why}`, 'SVC_ERR_GW_INVALID_REQUEST'),
  })
  if (!isPlainObject(value)) return invalid('expected a JSON object')
  const hasId = Object.hasOwn(value, 'id')
  if (hasId && !isValidId(value.id)) return invalid('"id" must be a string, a number or null')
  const id = hasId ? (value.id as RpcId) : null
  if (value.jsonrpc !== JSONRPC_VERSION) return invalid('"jsonrpc" must be exactly "2.0"', id)
  if (typeof value.method !== 'string' || value.method === '') return invalid('"method" must be a non-empty string', id)
  const params = value.params
  if (params !== undefined && !Array.isArray(params) && !isPlainObject(params)) {
    return invalid('"params" must be an array or an object when present', id)
  }
  const call: RpcCall = {
    method: value.method,
    params: params as RpcCall['params'],
    isNotification: !hasId,
  }
  if (hasId) call.id = id
  return { ok: true, call }
}

export const success = (id: RpcId, result: unknown): RpcResponse => ({
  jsonrpc: JSONRPC_VERSION,
  // JSON-RPC requires a `result` member; a service returning nothing answers null.
  result: result === undefined ? null : result,
  id,
})

export const failure = (id: RpcId, error: RpcErrorObject): RpcResponse => ({ jsonrpc: JSONRPC_VERSION, error, id })
