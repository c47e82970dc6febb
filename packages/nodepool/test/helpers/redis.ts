// Shared by the Redis tests: is Redis on 127.0.0.1:6379 answering, unique pool names, cleanup.
import { randomBytes } from 'node:crypto'
import net from 'node:net'
import { createClient } from 'redis'

export const REDIS_URL = 'redis://127.0.0.1:6379'

export function portAnswers(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host })
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

/**
 * Whether the Redis tests run. Under CI=true a missing Redis is a failure (the CI script starts one), so the
 * caller registers a failing test instead of skipping.
 */
export async function redisAvailable(): Promise<boolean> {
  return portAnswers(6379)
}

export const mustHaveRedis = process.env['CI'] === 'true'

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
