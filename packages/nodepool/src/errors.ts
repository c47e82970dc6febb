/** Every error this package throws or emits carries one of these codes. */
export const PoolErrorCode = {
  /** An option is missing or out of range (e.g. `ttlMs` not greater than twice `heartbeatMs`). */
  CONFIG: 'SVC_ERR_POOL_CONFIG',
  /** The pool was used before `start()` resolved, or after `stop()`. */
  NOT_RUNNING: 'SVC_ERR_POOL_NOT_RUNNING',
  /** Membership changed recently: no node is eligible until it has been stable for `stableMs`. */
  UPGRADING: 'SVC_ERR_POOL_UPGRADING',
  /** This node has not renewed its registration for more than `ttlMs / 2` and refuses work on its own. */
  FENCED: 'SVC_ERR_POOL_FENCED',
  /** Another node owns the job on the current ring. */
  NOT_OWNER: 'SVC_ERR_POOL_NOT_OWNER',
  /** Another live process registered the same node id. */
  NODE_ID_CONFLICT: 'SVC_ERR_POOL_NODE_ID_CONFLICT',
  /** The driver (Redis) failed or answered something unexpected. */
  DRIVER: 'SVC_ERR_POOL_DRIVER',
  /** A driver call or a wait did not finish in time. */
  TIMEOUT: 'SVC_ERR_POOL_TIMEOUT',
} as const

export type PoolErrorCode = (typeof PoolErrorCode)[keyof typeof PoolErrorCode]

export class PoolError extends Error {
  readonly code: PoolErrorCode

  constructor(code: PoolErrorCode, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options)
    this.name = 'PoolError'
    this.code = code
  }
}

export function isPoolError(err: unknown, code?: PoolErrorCode): err is PoolError {
  return err instanceof PoolError && (code === undefined || err.code === code)
}
