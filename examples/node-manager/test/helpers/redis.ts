// Keys of this test run in the shared Redis. Whether that Redis is there, and where, is the repository-wide rule in
// test-support/redis.ts.
import { randomBytes } from 'node:crypto'
import { createClient } from 'redis'
import { REDIS_URL } from '../../../../test-support/redis.ts'

export { REDIS_URL, redisForTests } from '../../../../test-support/redis.ts'

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
