// Shared by the cluster tests: unique names, and waiting on a condition instead of sleeping. Whether Redis is there,
// and where, and the client and cleanup every Redis test uses, are in test-support/redis.ts.
import { randomBytes } from 'node:crypto'

export { REDIS_URL, connectRedis, deletePoolKeys, redisForTests, type RedisClient } from '../../../../test-support/redis.js'

export function uniqueName(label: string): string {
  return `sched-test-${label}-${process.pid}-${randomBytes(4).toString('hex')}`
}

// Polls `check` until it returns a value other than undefined/false; fails with `what` after `timeoutMs`.
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}
