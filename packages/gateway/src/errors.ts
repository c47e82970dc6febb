// Every error the gateway raises or reports carries one of these stable codes.
// Codes that reach clients appear in `error.data.code` of a JSON-RPC error (HTTP and Redis alike).

export const GatewayErrorCode = {
  CONFIG: 'SVC_ERR_GW_CONFIG',
  STATE: 'SVC_ERR_GW_STATE',
  LISTEN: 'SVC_ERR_GW_LISTEN',
  UNAUTHORIZED: 'SVC_ERR_GW_UNAUTHORIZED',
  NOT_FOUND: 'SVC_ERR_GW_NOT_FOUND',
  BODY_TOO_LARGE: 'SVC_ERR_GW_BODY_TOO_LARGE',
  CONTENT_TYPE: 'SVC_ERR_GW_CONTENT_TYPE',
  PARSE: 'SVC_ERR_GW_PARSE',
  INVALID_REQUEST: 'SVC_ERR_GW_INVALID_REQUEST',
  BATCH_TOO_LARGE: 'SVC_ERR_GW_BATCH_TOO_LARGE',
  METHOD_NOT_EXPOSED: 'SVC_ERR_GW_METHOD_NOT_EXPOSED',
  INVALID_PARAMS: 'SVC_ERR_GW_INVALID_PARAMS',
  CALL_FAILED: 'SVC_ERR_GW_CALL_FAILED',
  RESULT_NOT_SERIALIZABLE: 'SVC_ERR_GW_RESULT_NOT_SERIALIZABLE',
  INTERNAL: 'SVC_ERR_GW_INTERNAL',
  REDIS_TIMEOUT: 'SVC_ERR_GW_REDIS_TIMEOUT',
  REDIS_CLOSED: 'SVC_ERR_GW_REDIS_CLOSED',
  REMOTE: 'SVC_ERR_GW_REMOTE',
} as const

export type GatewayErrorCode = (typeof GatewayErrorCode)[keyof typeof GatewayErrorCode]

export class GatewayError extends Error {
  override name = 'GatewayError'
  readonly code: GatewayErrorCode
  /** Structured facts for logs and the wire (JSON-safe). */
  readonly facts: Record<string, unknown>

  constructor(code: GatewayErrorCode, message: string, facts: Record<string, unknown> = {}, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause })
    this.code = code
    this.facts = facts
  }
}

export const configError = (field: string, problem: string): GatewayError =>
  new GatewayError(
    GatewayErrorCode.CONFIG,
    `Gateway config "${field}" ${problem}. Fix the gateway's \`config\` in the manifest.`,
    { field },
  )

export const stateError = (action: string, state: string): GatewayError =>
  new GatewayError(
    GatewayErrorCode.STATE,
    `Cannot ${action} the gateway while it is ${state}. Create a new gateway instead of reusing a stopped one.`,
    { action, state },
  )

export const listenError = (host: string, port: number, cause: unknown): GatewayError =>
  new GatewayError(
    GatewayErrorCode.LISTEN,
    `Gateway could not listen on ${host}:${port} (${(cause as Error)?.message ?? String(cause)}). ` +
      'Pick a free port, or 0 to let the system choose one.',
    { host, port },
    cause,
  )

/** What RedisRpcClient rejects with when the server answers with an `err`. */
export class RemoteCallError extends Error {
  override name = 'RemoteCallError'
  /** The SVC_ERR_… code from `err.data.code`, or SVC_ERR_GW_REMOTE when the server sent none. */
  readonly code: string
  /** The JSON-RPC error code, when the server sent a JSON-RPC error object. */
  readonly rpcCode: number | undefined
  readonly data: unknown

  constructor(method: string, err: unknown) {
    const e = (typeof err === 'object' && err !== null ? err : {}) as { code?: unknown; message?: unknown; data?: unknown }
    const message = typeof e.message === 'string' ? e.message : typeof err === 'string' ? err : JSON.stringify(err)
    super(`Remote call "${method}" failed: ${message}`)
    const dataCode = (e.data as { code?: unknown } | undefined)?.code
    this.code = typeof dataCode === 'string' ? dataCode : GatewayErrorCode.REMOTE
    this.rpcCode = typeof e.code === 'number' ? e.code : undefined
    this.data = e.data
  }
}
