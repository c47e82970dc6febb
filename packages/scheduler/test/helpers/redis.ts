// Shared by the cluster tests: unique names, cleanup of only this run's keys, and waiting on a condition instead
// of sleeping. Whether Redis is there, and where, is the repository-wide rule in test-support/redis.ts.
import { randomBytes } from 'node:crypto'
import { createClient } from 'redis'
import { REDIS_URL } from '../../../../test-support/redis.js'

export { REDIS_URL, redisForTests } from '../../../../test-support/redis.js'

export function uniqueName(label: string): string {
  return `sched-test-${label}-${process.pid}-${randomBytes(4).toString('hex')}`
}

export type Client = ReturnType<typeof createClient>

export async function connect(url = REDIS_URL): Promise<Client> {
  const client = createClient({ url })
  client.on('error', () => {})
  await client.connect()
  return client
}

// Deletes the keys of one pool (the nodepool driver's default prefix) and any extra keys given.
export async function cleanupPool(client: Client, pool: string, extra: string[] = []): Promise<void> {
  const keys = [...extra]
  for await (const batch of client.scanIterator({ MATCH: `nodepool:{${pool}}*`, COUNT: 1000 })) {
    keys.push(...(batch as unknown as string[]))
  }
  if (keys.length > 0) await client.del(keys)
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
