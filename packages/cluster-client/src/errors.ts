// Every error this package raises: one class, stable codes, structured facts.

export const ErrorCodes = {
  /** An invoke got no answer within its timeout. */
  INVOKE_TIMEOUT: 'SVC_ERR_CC_INVOKE_TIMEOUT',
  /** The connection to the leader closed while a request was in flight. Retryable. */
  LEADER_LOST: 'SVC_ERR_CC_LEADER_LOST',
  /** Something that is not a cluster-client leader answers on the election port. */
  FOREIGN_SERVER: 'SVC_ERR_CC_FOREIGN_SERVER',
  /** No leader could be won or reached within `electionTimeout`. */
  ELECTION_TIMEOUT: 'SVC_ERR_CC_ELECTION_TIMEOUT',
  /** The process that holds the port does not lead this channel (client name). */
  NO_LEADER: 'SVC_ERR_CC_NO_LEADER',
  /** Listening on the election port failed for a reason other than "in use". */
  LISTEN_FAILED: 'SVC_ERR_CC_LISTEN_FAILED',
  /** A frame declared more bytes than `maxFrameSize`. */
  FRAME_TOO_LARGE: 'SVC_ERR_CC_FRAME_TOO_LARGE',
  /** The stream ended in the middle of a frame, or a frame is shorter than its header says. */
  FRAME_TRUNCATED: 'SVC_ERR_CC_FRAME_TRUNCATED',
  /** A frame is malformed: bad flags, bad JSON, unknown message type, trailing bytes. */
  BAD_FRAME: 'SVC_ERR_CC_BAD_FRAME',
  /** A frame carries a protocol version this build does not speak. */
  PROTOCOL_VERSION: 'SVC_ERR_CC_PROTOCOL_VERSION',
  /** The method is not a delegated invoke method, or the DataClient lacks it. */
  NO_METHOD: 'SVC_ERR_CC_NO_METHOD',
  /** The DataClient has no method for this kind of operation (subscribe, publish, ...). */
  NOT_SUPPORTED: 'SVC_ERR_CC_NOT_SUPPORTED',
  /** The DataClient could not be constructed or did not become ready. */
  DATA_CLIENT_FAILED: 'SVC_ERR_CC_DATA_CLIENT_FAILED',
  /** The client was closed. */
  CLOSED: 'SVC_ERR_CC_CLOSED',
  /** Bad options or builder use. */
  INVALID_OPTIONS: 'SVC_ERR_CC_INVALID_OPTIONS',
} as const

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes]

export interface ClusterClientErrorFacts {
  /** True when the same call may succeed if simply tried again (e.g. after failover). */
  retryable?: boolean
  /** Client (channel) name. */
  name?: string
  method?: string
  timeoutMs?: number
  port?: number
  cause?: unknown
}

export class ClusterClientError extends Error {
  readonly code: ErrorCode
  readonly retryable: boolean
  readonly clientName?: string
  readonly method?: string
  readonly timeoutMs?: number
  readonly port?: number

  constructor(code: ErrorCode, message: string, facts: ClusterClientErrorFacts = {}) {
    super(message, facts.cause === undefined ? undefined : { cause: facts.cause })
    this.name = 'ClusterClientError'
    this.code = code
    this.retryable = facts.retryable ?? false
    if (facts.name !== undefined) this.clientName = facts.name
    if (facts.method !== undefined) this.method = facts.method
    if (facts.timeoutMs !== undefined) this.timeoutMs = facts.timeoutMs
    if (facts.port !== undefined) this.port = facts.port
  }
}

export function isClusterClientError(err: unknown, code?: ErrorCode): err is ClusterClientError {
  if (!(err instanceof Error)) return false
  // Errors that crossed the wire are plain Errors carrying the code.
  const c = (err as { code?: unknown }).code
  return typeof c === 'string' && c.startsWith('SVC_ERR_CC_') && (code === undefined || c === code)
}

export function invokeTimeoutError(name: string, method: string, timeoutMs: number): ClusterClientError {
  return new ClusterClientError(
    ErrorCodes.INVOKE_TIMEOUT,
    `Invoke "${method}" on cluster client "${name}" got no answer within ${timeoutMs} ms. ` +
      'The leader or its upstream may be slow: raise responseTimeout, or retry.',
    { name, method, timeoutMs },
  )
}

export function leaderLostError(name: string, method?: string): ClusterClientError {
  const what = method === undefined ? 'A request' : `Invoke "${method}"`
  return new ClusterClientError(
    ErrorCodes.LEADER_LOST,
    `${what} on cluster client "${name}" was in flight when the connection to the leader closed. ` +
      'A new leader is being elected: retry the call.',
    { name, method, retryable: true },
  )
}

export function leaderGoneError(name: string, leaderPid: number): ClusterClientError {
  return new ClusterClientError(
    ErrorCodes.LEADER_LOST,
    `The connection of cluster client "${name}" to its leader (pid ${leaderPid}) closed.`,
    { name, retryable: true },
  )
}

export function closedError(name: string): ClusterClientError {
  return new ClusterClientError(ErrorCodes.CLOSED, `Cluster client "${name}" is closed.`, { name })
}
