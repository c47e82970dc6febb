// What one control client may cost the manager: a real control server on a real Unix socket, raw clients
// that misbehave (no newline, half a line, never reading), and a manager whose service floods its log.

import { afterEach, describe, expect, it } from '@jest/globals'
import { ServicesManager, type LogLine } from '@services-cluster/core'
import { memoryContainers } from '@services-cluster/core/testing'
import { defineService } from '@services-cluster/core/remote'
import { mkdtempSync, rmSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ControlClient } from '../src/control/client.js'
import { CONTROL_LIMITS, type ControlLimits } from '../src/control/limits.js'
import { startControlServer, type ControlServer } from '../src/control/server.js'

// Calls to chatty.hang wait here until the test lets them go.
const hanging = { started: 0, waiting: [] as (() => void)[], open: false, onStart: (): void => {} }

const chatty = defineService(async (ctx) => ({
  hang: () =>
    new Promise<number>((resolve) => {
      const n = ++hanging.started
      if (hanging.open) resolve(n)
      else hanging.waiting.push(() => resolve(n))
      hanging.onStart()
    }),
  /** `lines` lines of `bytes` bytes each, then "flood over". */
  flood: (lines: number, bytes: number) => {
    for (let i = 0; i < lines; i++) ctx.log.info(`${i} `.padEnd(bytes, 'x'))
    ctx.log.info('flood over')
    return lines
  },
  say: (text: string) => {
    ctx.log.info(text)
    return text
  },
}))

interface Started {
  manager: ServicesManager
  server: ControlServer
  /** Every reason a client was disconnected for, in order. */
  dropped: string[]
  /** Resolves with the next reason. */
  nextDrop(): Promise<string>
}

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function start(limits: Partial<ControlLimits> = {}): Promise<Started> {
  const stateDir = mkdtempSync(join(tmpdir(), 'svc-bounds-'))
  const manager = new ServicesManager(
    { stateDir, services: { chatty: { entry: 'mem:chatty' } } },
    { containers: memoryContainers({ 'mem:chatty': chatty }), resolveEntry: (_n, e) => e },
  )
  const dropped: string[] = []
  const waiters: ((reason: string) => void)[] = []
  const server = await startControlServer({
    manager,
    configFile: '/virtual/svc.config.ts',
    down: async () => [],
    limits,
    onClientDropped: (reason) => {
      dropped.push(reason)
      waiters.splice(0).forEach((w) => w(reason))
    },
  })
  cleanups.push(async () => {
    await server.close('test over')
    await manager.close()
    rmSync(stateDir, { recursive: true, force: true })
  })
  await manager.start()
  return { manager, server, dropped, nextDrop: () => new Promise((resolve) => waiters.push(resolve)) }
}

/** A client that sends whatever it is told and parses what comes back; waits by predicate, never by timer. */
class RawClient {
  readonly socket: Socket
  readonly messages: Record<string, unknown>[] = []
  readonly closed: Promise<void>
  readonly connected: Promise<void>
  bytesRead = 0
  #buffered = ''
  readonly #waiters = new Set<() => void>()

  constructor(path: string) {
    this.socket = connect(path)
    cleanups.push(async () => void this.socket.destroy())
    this.connected = new Promise((resolve) => this.socket.once('connect', resolve))
    this.closed = new Promise((resolve) => this.socket.once('close', () => resolve()))
    this.socket.on('error', () => {}) // a reset after the manager hung up: 'close' follows
    this.socket.setEncoding('utf8')
    this.socket.on('data', (chunk: string) => {
      this.bytesRead += Buffer.byteLength(chunk)
      this.#buffered += chunk
      let nl: number
      while ((nl = this.#buffered.indexOf('\n')) !== -1) {
        this.messages.push(JSON.parse(this.#buffered.slice(0, nl)) as Record<string, unknown>)
        this.#buffered = this.#buffered.slice(nl + 1)
      }
      for (const w of this.#waiters) w()
    })
    this.socket.on('close', () => {
      for (const w of this.#waiters) w()
    })
  }

  send(message: unknown): void {
    this.socket.write(JSON.stringify(message) + '\n')
  }

  /** The first message that passes `test`; rejects if the connection ends without one. */
  next(test: (m: Record<string, unknown>) => boolean, what: string): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.messages.find(test)
        if (found) {
          this.#waiters.delete(check)
          resolve(found)
        } else if (this.socket.destroyed) {
          this.#waiters.delete(check)
          reject(new Error(`the connection closed before ${what}; got ${JSON.stringify(this.messages).slice(0, 500)}`))
        }
      }
      this.#waiters.add(check)
      check()
    })
  }
}

const logLine = (m: Record<string, unknown>) => (m.method === 'log' ? (m.params as LogLine) : null)
const errorCode = (m: Record<string, unknown>) => ((m.error as { data?: { code?: string } } | undefined)?.data?.code ?? null)

function logged(manager: ServicesManager, text: string): Promise<void> {
  return new Promise((resolve) => {
    const on = (line: LogLine) => {
      if (line.line !== text) return
      manager.off('log', on)
      resolve()
    }
    manager.on('log', on)
  })
}

describe('the control socket bounds every client', () => {
  it(`newline-free bytes on the control socket are refused after ${CONTROL_LIMITS.maxLineBytes / 1024} KiB, and the manager keeps answering`, async () => {
    const { server, dropped } = await start() // the shipped limits
    const client = new RawClient(server.socketPath)
    await client.connected
    const chunk = Buffer.alloc(64 * 1024, 'x')
    let written = 0
    // Writes as fast as the manager reads, up to 64 MiB (the old manager buffered it all, re-scanning each time).
    while (!client.socket.destroyed && written < 64 * 1024 * 1024 && errorCode(client.messages[0] ?? {}) === null) {
      written += chunk.length
      if (!client.socket.write(chunk)) {
        await new Promise<void>((resolve) => {
          client.socket.once('drain', resolve)
          client.socket.once('close', resolve)
          void client.next(() => true, 'an answer').then(() => resolve(), () => resolve())
        })
      }
    }
    const refusal = await client.next((m) => errorCode(m) !== null, 'the refusal')
    expect(refusal).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32600, data: { code: 'SVC_ERR_CLI_LINE_TOO_LONG' } } })
    const reached = Number(/this one reached (\d+)/.exec((refusal.error as { message: string }).message)![1])
    expect(reached).toBeGreaterThan(CONTROL_LIMITS.maxLineBytes)
    expect(reached).toBeLessThanOrEqual(CONTROL_LIMITS.maxLineBytes + chunk.length)
    await client.closed
    expect(written).toBeLessThan(16 * 1024 * 1024)
    expect(dropped).toEqual([expect.stringMatching(/^a control client was disconnected: A request line may be at most 1048576 bytes/)])

    const other = await ControlClient.connect(server.socketPath)
    expect((await other.request('ps', {})).map((s) => s.name)).toEqual(['chatty'])
    other.close()
  })

  it('a request line too long even with its newline is refused the same way', async () => {
    const { server } = await start({ maxLineBytes: 1024 })
    const client = new RawClient(server.socketPath)
    client.send({ jsonrpc: '2.0', id: 1, method: 'call', params: { service: 'chatty', method: 'say', args: ['y'.repeat(2000)] } })
    expect(await client.next((m) => errorCode(m) !== null, 'the refusal')).toMatchObject({ error: { data: { code: 'SVC_ERR_CLI_LINE_TOO_LONG' } } })
    await client.closed
  })

  it('a control client that sends part of a line and nothing more is disconnected after partialLineTimeoutMs', async () => {
    const { server, nextDrop } = await start({ partialLineTimeoutMs: 200 })
    const idle = await ControlClient.connect(server.socketPath) // sends nothing after its hello: it stays
    const client = new RawClient(server.socketPath)
    const drop = nextDrop()
    client.socket.write('{"jsonrpc":"2.0","id":1,')
    expect(await client.next((m) => errorCode(m) !== null, 'the refusal')).toMatchObject({
      id: null,
      error: { code: -32600, message: expect.stringContaining('within 200 ms'), data: { code: 'SVC_ERR_CLI_LINE_TIMEOUT' } },
    })
    await client.closed
    expect(await drop).toMatch(/^a control client was disconnected: A request line must end with a newline within 200 ms/)
    expect((await idle.request('ps', {})).length).toBe(1)
    idle.close()
  })

  it('a control client that never reads its log feed misses lines past logHighWaterBytes, and is told how many', async () => {
    const highWater = 64 * 1024
    const { manager, server, dropped } = await start({ logHighWaterBytes: highWater })
    const client = new RawClient(server.socketPath)
    client.send({ jsonrpc: '2.0', id: 1, method: 'logs', params: { services: ['chatty'], limit: 0, follow: true } })
    await client.next((m) => m.id === 1, 'the logs answer')
    client.socket.pause()

    const lines = 4_000
    const over = logged(manager, 'flood over')
    await manager.call('chatty', 'flood', lines, 1024) // 4 MiB of log
    await over // the control server saw every line before this listener did
    client.socket.resume()
    const marker = await client.next((m) => /^\[svc\] \d+ lines dropped: this client read too slowly$/.test(logLine(m)?.line ?? ''), 'the drop count')
    const bytesBeforeMarker = client.bytesRead
    const after = logged(manager, 'after the flood')
    await manager.call('chatty', 'say', 'after the flood')
    await after
    await client.next((m) => logLine(m)?.line === 'after the flood', 'the next line, not dropped')

    const received = client.messages.map(logLine).filter((l): l is LogLine => l !== null && l.service === 'chatty' && !l.line.startsWith('[svc]'))
    const missed = Number(/^\[svc\] (\d+)/.exec(logLine(marker)!.line)![1])
    expect(logLine(marker)).toMatchObject({ service: 'chatty', stream: 'stderr' })
    expect(missed).toBeGreaterThan(0)
    expect(received.length - 1 + missed).toBe(lines + 1) // every flood line and "flood over": shown or counted
    // What reached the client before the count: the high-water mark, one line, and what the kernel and the
    // client's own stream buffer held (well under 1 MiB); the flood was 4 MiB.
    expect(bytesBeforeMarker).toBeLessThan(highWater + 1024 * 1024)
    expect(dropped).toEqual([]) // dropping log lines is not a reason to hang up
  })

  it('a control client that never reads its answers is cut off before the manager queues more than maxQueuedBytes for it', async () => {
    const maxQueued = 128 * 1024
    const { server, nextDrop } = await start({ maxQueuedBytes: maxQueued })
    const client = new RawClient(server.socketPath)
    await client.connected
    client.socket.pause()
    const drop = nextDrop()
    const requests = 5_000 // each answer is a service snapshot, ~1 KiB: megabytes of answers
    client.socket.write(Array.from({ length: requests }, (_, i) => JSON.stringify({ jsonrpc: '2.0', id: i, method: 'ps' }) + '\n').join(''))
    const reason = await drop
    // Checked before each write: the queue was at most the limit plus the one answer that crossed it.
    const queued = Number(/^a control client was disconnected: (\d+) bytes were queued for it unread, over the limit of 131072$/.exec(reason)?.[1])
    expect(queued).toBeGreaterThan(maxQueued)
    expect(queued).toBeLessThan(maxQueued + 4096)
    client.socket.resume()
    await client.closed
    const answered = client.messages.filter((m) => 'result' in m).length
    expect(answered).toBeGreaterThan(0)
    expect(answered).toBeLessThan(requests)
  })

  it('a control client cut off for reading too slowly is told why in a last line, once it catches up', async () => {
    const { server, nextDrop } = await start({ maxQueuedBytes: 128 * 1024 })
    const client = new RawClient(server.socketPath)
    await client.connected
    client.socket.pause()
    const drop = nextDrop()
    client.socket.write(Array.from({ length: 5_000 }, (_, i) => JSON.stringify({ jsonrpc: '2.0', id: i, method: 'ps' }) + '\n').join(''))
    await drop
    client.socket.resume()
    await client.closed
    expect(client.messages.at(-1)).toEqual({
      jsonrpc: '2.0',
      method: 'closing',
      params: { cutOff: true, reason: expect.stringMatching(/^this client read too slowly: \d+ bytes were queued for it unread, over the limit of 131072$/) },
    })
  })

  it('a control client that pipelines more than maxInFlight requests is read no further until one is answered', async () => {
    const maxInFlight = 8
    const { server } = await start({ maxInFlight })
    Object.assign(hanging, { started: 0, waiting: [], open: false })
    const all = new Promise<void>((resolve) => (hanging.onStart = () => hanging.started === maxInFlight && resolve()))
    const client = new RawClient(server.socketPath)
    const requests = 200 // one write: the old manager started every one of them at once
    client.socket.write(Array.from({ length: requests }, (_, i) => JSON.stringify({ jsonrpc: '2.0', id: i, method: 'call', params: { service: 'chatty', method: 'hang' } }) + '\n').join(''))
    await all
    // A round trip on another connection: had the manager kept reading, the other calls would have started by now.
    const other = await ControlClient.connect(server.socketPath)
    await other.request('ps', {})
    other.close()
    expect(hanging.started).toBe(maxInFlight)

    const next = new Promise<void>((resolve) => (hanging.onStart = () => resolve()))
    hanging.waiting.shift()!() // one answer out, one more request in
    await next
    expect(hanging.started).toBe(maxInFlight + 1)

    hanging.open = true
    hanging.onStart = () => {}
    for (const release of hanging.waiting.splice(0)) release()
    await client.next(() => client.messages.filter((m) => 'result' in m).length === requests, 'every answer')
    expect(client.messages.map((m) => m.id).sort((a, b) => Number(a) - Number(b))).toEqual(Array.from({ length: requests }, (_, i) => i))
  })
})
