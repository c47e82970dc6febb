// The one rule for every test that needs Redis, in every package and example: the server at REDIS_URL (default
// redis://127.0.0.1:6379). When nothing answers there, a suite is skipped with one line saying how to enable it —
// except under CI=true, where a missing Redis fails the run (the CI script starts one).

import net from 'node:net'
import { createClient } from 'redis'

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

/** Whether a Redis answers PING at `url`. An auth-protected one answers -NOAUTH: it is there. */
export function redisAnswers(url = REDIS_URL, timeoutMs = 1000): Promise<boolean> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname || '127.0.0.1', port: Number(port || 6379) })
    const done = (ok: boolean): void => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.on('error', () => done(false))
    socket.on('connect', () => socket.write('PING\r\n'))
    socket.on('data', (d) => done(/^(\+PONG|-NOAUTH)/.test(d.toString())))
  })
}

/** True when `what` can run against Redis; otherwise throws under CI=true, or prints the skip line and is false. */
export async function redisForTests(what: string): Promise<boolean> {
  if (await redisAnswers()) return true
  if (process.env.CI === 'true') throw new Error(`${what}: Redis at ${REDIS_URL} does not answer, and CI=true requires it.`)
  process.stderr.write(`skipping ${what}: no Redis at ${REDIS_URL} (start redis-server, or set REDIS_URL, to run them)\n`)
  return false
}

export type RedisClient = ReturnType<typeof createClient>

/** A connected client for a test's own reads and cleanup; connection errors surface in the commands, not as events. */
export async function connectRedis(url = REDIS_URL): Promise<RedisClient> {
  const client = createClient({ url })
  client.on('error', () => {})
  await client.connect()
  return client
}

/** Deletes every key of one node pool (the nodepool driver's default prefix) and any extra keys given. */
export async function deletePoolKeys(client: RedisClient, pool: string, extra: string[] = []): Promise<void> {
  const keys = [...extra]
  for await (const batch of client.scanIterator({ MATCH: `nodepool:{${pool}}*`, COUNT: 1000 })) {
    keys.push(...(batch as unknown as string[]))
  }
  if (keys.length > 0) await client.del(keys)
}
