// Finds out whether the shared Redis answers. Without it, Redis tests are skipped with one line of
// explanation — except on CI (CI=true), where a missing Redis is a failure.
import { randomBytes } from 'node:crypto'
import { createClient } from 'redis'

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

export async function redisAvailable(): Promise<boolean> {
  const client = createClient({ url: REDIS_URL, socket: { connectTimeout: 1000, reconnectStrategy: false } })
  client.on('error', () => undefined)
  try {
    await client.connect()
    await client.ping()
    return true
  } catch (error) {
    if (process.env.CI === 'true') throw new Error(`CI=true but Redis at ${REDIS_URL} does not answer: ${String(error)}`)
    console.log(`Skipping Redis tests: no Redis at ${REDIS_URL}. Start one (redis-server) or set REDIS_URL to enable them.`)
    return false
  } finally {
    if (client.isOpen) client.destroy()
  }
}

/** A key prefix no other test run shares, so parallel runs never collide and cleanup is exact. */
export function uniquePrefix(): string {
  return `test:nm:${process.pid}:${randomBytes(4).toString('hex')}:`
}

/** Deletes this run's keys (never FLUSHDB: the Redis is shared). */
export async function deleteKeys(prefix: string): Promise<void> {
  const client = createClient({ url: REDIS_URL, socket: { reconnectStrategy: false } })
  client.on('error', () => undefined)
  await client.connect()
  try {
    const keys: string[] = []
    for await (const batch of client.scanIterator({ MATCH: `${prefix}*` })) keys.push(...batch)
    if (keys.length > 0) await client.del(keys)
  } finally {
    if (client.isOpen) client.destroy()
  }
}
