// Redis helpers for the gateway tests: the redis-server binary and throwaway servers for outage tests. Whether the
// shared Redis is there is the repository-wide rule in test-support/redis.ts.

import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'

export async function hasRedisServerBinary(what: string): Promise<boolean> {
  const child = spawn('redis-server', ['--version'], { stdio: 'ignore' })
  const ok = await new Promise<boolean>((resolve) => {
    child.on('error', () => resolve(false))
    child.on('exit', (code) => resolve(code === 0))
  })
  if (ok) return true
  if (process.env.CI === 'true') throw new Error(`${what}: the redis-server binary is not on PATH, and CI=true requires it.`)
  console.log(`[gateway tests] skipping ${what}: redis-server is not on PATH (install redis-server to enable)`)
  return false
}

export async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const port = (server.address() as { port: number }).port
  await new Promise((r) => server.close(r))
  return port
}

/** A throwaway redis-server (no persistence) for outage tests; never touches the shared one. */
export class PrivateRedis {
  #child: ChildProcess | undefined
  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`
  }

  async start(): Promise<void> {
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    this.#child = child
    await new Promise<void>((resolve, reject) => {
      let out = ''
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString()
        if (out.includes('Ready to accept connections')) resolve()
      })
      child.on('exit', (code) => reject(new Error(`redis-server exited early (${code}): ${out}`)))
    })
  }

  async kill(): Promise<void> {
    const child = this.#child
    this.#child = undefined
    if (!child || child.exitCode !== null || child.signalCode !== null) return
    const exited = once(child, 'exit')
    child.kill('SIGKILL')
    await exited
  }
}
