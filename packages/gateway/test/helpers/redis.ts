// Redis availability for tests: skip with one line locally, fail in CI (CI=true).

import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createServer, connect } from 'node:net'

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

function ping(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port || 6379) })
    const done = (ok: boolean): void => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(1000, () => done(false))
    socket.on('error', () => done(false))
    socket.on('connect', () => socket.write('PING\r\n'))
    // An auth-protected Redis answers -NOAUTH: it is there, the URL carries the password.
    socket.on('data', (d) => done(/^(\+PONG|-NOAUTH)/.test(d.toString())))
  })
}

/** True when tests may use Redis; logs one line when they will be skipped; throws in CI. */
export async function requireRedis(what: string): Promise<boolean> {
  if (await ping(REDIS_URL)) return true
  if (process.env.CI === 'true') throw new Error(`${what}: Redis at ${REDIS_URL} does not answer, and CI=true requires it.`)
  console.log(`[gateway tests] skipping ${what}: no Redis at ${REDIS_URL} (start redis-server or set REDIS_URL to enable)`)
  return false
}

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
