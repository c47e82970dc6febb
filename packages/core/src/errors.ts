// Every error the framework raises: a stable code, the service it concerns, and a message that says what to do.

export type ErrorCode =
  | 'SVC_ERR_MANIFEST_INVALID'
  | 'SVC_ERR_BAD_NAME'
  | 'SVC_ERR_DUPLICATE_SERVICE'
  | 'SVC_ERR_UNKNOWN_DEPENDENCY'
  | 'SVC_ERR_SELF_DEPENDENCY'
  | 'SVC_ERR_DEPENDENCY_CYCLE'
  | 'SVC_ERR_ENTRY_NOT_FOUND'
  | 'SVC_ERR_UNKNOWN_SERVICE'
  | 'SVC_ERR_NOT_A_SERVICE'
  | 'SVC_ERR_START_FAILED'
  | 'SVC_ERR_START_TIMEOUT'
  | 'SVC_ERR_START_ABORTED'
  | 'SVC_ERR_DEPENDENCY_FAILED'
  | 'SVC_ERR_EXITED_DURING_START'
  | 'SVC_ERR_SPAWN_FAILED'
  | 'SVC_ERR_PROTOCOL_MISMATCH'
  | 'SVC_ERR_ACCESS_DENIED'
  | 'SVC_ERR_SERVICE_NOT_RUNNING'
  | 'SVC_ERR_SERVICE_CLOSED'
  | 'SVC_ERR_UNKNOWN_METHOD'
  | 'SVC_ERR_CALL_TIMEOUT'
  | 'SVC_ERR_NOT_SERIALIZABLE'
  | 'SVC_ERR_REMOTE'
  | 'SVC_ERR_MANAGER_CLOSED'
  | 'SVC_ERR_SERVICE_FAILED'
  | 'SVC_ERR_ILLEGAL_TRANSITION'
  | 'SVC_ERR_STATE_DIR'
  | 'SVC_ERR_WAIT_TIMEOUT'
  | 'SVC_ERR_PROBE_FAILED'
  | 'SVC_ERR_OVERLOADED'
  | 'SVC_ERR_MESSAGE_TOO_LARGE'
  | 'SVC_ERR_PROTOCOL'
  | 'SVC_ERR_ENV_FILE'
  | 'SVC_ERR_ENTRY_NOT_MODULE'
  | 'SVC_ERR_COMMAND_NOT_FOUND'
  | 'SVC_ERR_ONESHOT_FAILED'
  | 'SVC_ERR_NOT_READY'
  | 'SVC_ERR_NOT_CALLABLE'
  | 'SVC_ERR_REMOVED_DEPENDENCY'
  | 'SVC_ERR_APPLY_UNSUPPORTED'
  | 'SVC_ERR_METRICS_OFF'
  | 'SVC_ERR_METRICS_LISTEN'
  | 'SVC_ERR_RELOAD_FAILED'
  | 'SVC_ERR_SCALE_FAILED'
  | 'SVC_ERR_BAD_INSTANCES'
  | 'SVC_ERR_PORT_IN_USE'
  | 'SVC_ERR_LISTEN_FAILED'
  | 'SVC_ERR_LISTEN_UNSUPPORTED'
  | 'SVC_ERR_NO_LISTEN'
  | 'SVC_ERR_CLUSTER_UNREACHABLE'

export class ServiceError extends Error {
  override name = 'ServiceError'
  readonly code: ErrorCode | string
  readonly service: string | undefined
  readonly details: Record<string, unknown> | undefined

  constructor(
    code: ErrorCode | string,
    message: string,
    facts: { service?: string; details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, facts.cause === undefined ? undefined : { cause: facts.cause })
    this.code = code
    this.service = facts.service
    this.details = facts.details
  }
}

export function svcError(
  code: ErrorCode,
  message: string,
  facts?: { service?: string; details?: Record<string, unknown>; cause?: unknown },
): ServiceError {
  return new ServiceError(code, message, facts)
}

/** How an error crosses a process boundary. */
export interface SerializedError {
  name: string
  message: string
  code?: string
  stack?: string
  service?: string
  details?: Record<string, unknown>
}

export function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) {
    const e = error as Error & { code?: unknown; service?: unknown; details?: unknown }
    const out: SerializedError = { name: e.name, message: e.message }
    if (e.stack) out.stack = e.stack
    if (typeof e.code === 'string') out.code = e.code
    if (typeof e.service === 'string') out.service = e.service
    if (e.details && typeof e.details === 'object') out.details = e.details as Record<string, unknown>
    return out
  }
  return { name: 'Error', message: typeof error === 'string' ? error : safeString(error) }
}

/** Rebuilds a real Error (with its code and the remote stack) from its wire form. */
export function restoreError(data: SerializedError): ServiceError {
  const error = new ServiceError(data.code ?? 'SVC_ERR_REMOTE', data.message, {
    service: data.service,
    details: data.details,
  })
  error.name = data.name
  if (data.stack) error.stack = data.stack
  return error
}

function safeString(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}

// The framework's own frames (the runner, jiti's import, Node's internals) say nothing about a service's bug.
const FRAMEWORK_FRAME = /runner\.bundle\.cjs|[\\/]jiti[\\/]|[\\/]core[\\/]dist[\\/]remote[\\/]|\(node:internal[\\/]|^\s*at node:internal[\\/]/

/** The stack frames of a service's error that point into its own code, as written (`    at … (file:line:col)`). */
export function userFrames(stack: string | undefined): string[] {
  if (!stack) return []
  return stack.split('\n').filter((line) => /^\s+at /.test(line) && !FRAMEWORK_FRAME.test(line))
}

/** Where a service's error was thrown: `file:line:col` of the first frame in `file` (its entry), else its first own frame. */
export function errorLocation(stack: string | undefined, file?: string): string | undefined {
  const places = userFrames(stack).map((frame) => /\(?((?:file:\/\/)?[^\s()]+:\d+:\d+)\)?\s*$/.exec(frame)?.[1]?.replace(/^file:\/\//, ''))
  const known = places.filter((place): place is string => place !== undefined)
  return (file && known.find((place) => place.startsWith(file + ':'))) || known[0]
}
