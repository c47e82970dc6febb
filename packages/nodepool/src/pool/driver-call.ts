// Every driver call the pool makes is bounded by a timeout and fails with a coded PoolError.

import { PoolError, PoolErrorCode } from '../errors.js'

export function toPoolError(err: unknown, what: string): PoolError {
  if (err instanceof PoolError) return err
  return new PoolError(PoolErrorCode.DRIVER, `${what}: ${err instanceof Error ? err.message : String(err)}`, {
    cause: err,
  })
}

export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new PoolError(PoolErrorCode.TIMEOUT, `${what} took more than ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([p, timeout])
  } finally {
    clearTimeout(timer)
  }
}
