// Shared by the nodepool Redis tests: unique pool names, a client, cleanup. Whether Redis is there, and where, is
// the repository-wide rule in test-support/redis.ts.
import { randomBytes } from 'node:crypto'
import { createClient } from 'redis'
import { REDIS_URL } from '../../../../test-support/redis.js'

export { REDIS_URL, redisAnswers, redisForTests } from '../../../../test-support/redis.js'

export function uniqueService(label: string): string {
  return `test-${label}-${process.pid}-${randomBytes(4).toString('hex')}`
}

export type Client = ReturnType<typeof createClient>

export async function connect(url = REDIS_URL): Promise<Client> {
  const client = createClient({ url })
  client.on('error', () => {})
  await client.connect()
  return client
}

/** Deletes every key of a pool (and any extra keys given). */
export async function cleanup(client: Client, service: string, extra: string[] = []): Promise<void> {
  const keys: string[] = [...extra]
  for await (const batch of client.scanIterator({ MATCH: `nodepool:{${service}}*`, COUNT: 1000 })) {
    keys.push(...(batch as unknown as string[]))
  }
  if (keys.length > 0) await client.del(keys)
}
