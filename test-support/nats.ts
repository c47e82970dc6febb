// The one rule for every test that needs NATS: the server at NATS_URL (default nats://127.0.0.1:4222), with
// JetStream. When nothing answers there, a suite is skipped with one line saying how to enable it — except under
// CI=true, where a missing NATS fails the run (the CI script starts one). Tests that restart NATS start their own.

import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222'

/** Deletes the JetStream buckets the clusters named here made on the shared NATS (their values expire by themselves;
 * the streams behind the buckets stay until deleted). */
export async function deleteClusterBuckets(clusters: readonly string[], url = NATS_URL): Promise<void> {
  const { bucketName, connectNats } = await import('../packages/core/src/cluster/nats-buckets.js')
  const admin = await connectNats(url, 'test cleanup')
  try {
    const jsm = await admin.jetstreamManager()
    for (const name of clusters) {
      for (const concern of ['hosts', 'leases'] as const) await jsm.streams.delete(`KV_${bucketName(name, concern)}`).catch(() => false)
    }
  } finally {
    await admin.close()
  }
}

/** Whether a NATS server greets a client at `url` (its INFO line). */
export function natsAnswers(url = NATS_URL, timeoutMs = 1000): Promise<boolean> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname || '127.0.0.1', port: Number(port || 4222) })
    const done = (ok: boolean): void => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.on('error', () => done(false))
    socket.on('data', (d) => done(d.toString().startsWith('INFO ')))
  })
}

/** True when `what` can run against NATS; otherwise throws under CI=true, or prints the skip line and is false. */
export async function natsForTests(what: string): Promise<boolean> {
  if (await natsAnswers()) return true
  if (process.env.CI === 'true') throw new Error(`${what}: NATS at ${NATS_URL} does not answer, and CI=true requires it.`)
  process.stderr.write(`skipping ${what}: no NATS at ${NATS_URL} (start nats-server -js, or set NATS_URL, to run them)\n`)
  return false
}

/** A nats-server of the test's own (JetStream, its store in a temporary folder), on a port of its own. */
export class OwnNats {
  readonly #dir = mkdtempSync(join(tmpdir(), 'svc-nats-'))
  #process: ChildProcess | undefined
  private constructor(
    readonly port: number,
    /** nats-server configuration text (users and permissions, say), or none. */
    private readonly config: string | undefined,
    /** The address it listens on (a test's bridge between network namespaces, say: test-support/netns.ts). */
    readonly address: string,
  ) {}

  static async start(config?: string, address = '127.0.0.1'): Promise<OwnNats> {
    const server = new OwnNats(await freePort(), config, address)
    await server.restart()
    return server
  }

  get url(): string {
    return `nats://${this.address}:${this.port}`
  }

  /** Starts it (again, on the same port and store) and resolves once it greets clients. */
  async restart(): Promise<void> {
    const args = ['-a', this.address, '-p', String(this.port), '-js', '-sd', this.#dir]
    if (this.config !== undefined) {
      writeFileSync(join(this.#dir, 'nats.conf'), this.config)
      args.push('-c', join(this.#dir, 'nats.conf'))
    }
    this.#process = spawn('nats-server', args, { stdio: 'ignore' })
    while (!(await natsAnswers(this.url, 200))) {
      if (this.#process.exitCode !== null) throw new Error(`nats-server on port ${this.port} exited (${this.#process.exitCode})`)
      await new Promise((r) => setTimeout(r, 20))
    }
  }

  /** Stops it and waits for it to exit. */
  async stop(): Promise<void> {
    const child = this.#process
    if (!child || child.exitCode !== null || child.signalCode !== null) return
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve())
      child.kill('SIGTERM')
    })
  }

  async destroy(): Promise<void> {
    await this.stop()
    rmSync(this.#dir, { recursive: true, force: true })
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}
