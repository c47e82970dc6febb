// Keys of this test run in the shared Redis. Whether that Redis is there, and where, is the repository-wide rule in
// test-support/redis.ts. Also: the same rule for the redis-server binary the example's graph runs, and a raw command
// to that server.
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import net from 'node:net'
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

/** One inline command to the Redis on 127.0.0.1:`port`, answered with the first line of its reply (`+PONG`, `:5`). */
export function redisCommand(port: number, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port })
    let reply = ''
    socket.setTimeout(2000, () => socket.destroy(new Error(`Redis on port ${port} did not answer "${command}" within 2 s`)))
    socket.on('error', reject)
    // After a reply this is a no-op; before one, the connection ended unanswered.
    socket.on('close', () => reject(new Error(`Redis on port ${port} closed the connection without answering "${command}"`)))
    socket.on('connect', () => socket.write(`${command}\r\n`))
    socket.on('data', (chunk) => {
      reply += chunk.toString()
      const end = reply.indexOf('\r\n')
      if (end < 0) return
      socket.destroy()
      resolve(reply.slice(0, end))
    })
  })
}

/** True when redis-server is on the PATH (the example's graph starts its own); otherwise throws under CI=true, or
 * prints the skip line and is false — the rule of test-support/redis.ts, for the binary. */
export function redisServerForTests(what: string): boolean {
  if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0) return true
  if (process.env.CI === 'true') throw new Error(`${what}: redis-server is not on the PATH, and CI=true requires it.`)
  process.stderr.write(`skipping ${what}: no redis-server on the PATH (install it to run them)\n`)
  return false
}
