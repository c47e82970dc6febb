// What one HTTP client may cost the dashboard: raw sockets that send half a request, oversized headers, or
// open a stream and never read it, against a real dashboard over a real manager (services in memory).

import { afterEach, describe, expect, it } from '@jest/globals'
import { ServicesManager, type LogLine } from '@services-cluster/core'
import { memoryContainers } from '@services-cluster/core/testing'
import { defineService } from '@services-cluster/core/remote'
import { mkdtempSync, rmSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setImmediate as tick } from 'node:timers/promises'
import { managerSource, startDashboard, type Dashboard, type DashboardLimits, type DashboardSource, type SourceEvent } from '../src/index.js'

const chatty = defineService(async (ctx) => ({
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
  dashboard: Dashboard
  /** The live feed's listener: events pushed here go to every page as if the manager reported them. */
  emit: (event: SourceEvent) => void
  nextDrop(): Promise<string>
}

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function start(limits: Partial<DashboardLimits> = {}): Promise<Started> {
  const stateDir = mkdtempSync(join(tmpdir(), 'svc-dashboard-bounds-'))
  const manager = new ServicesManager(
    { stateDir, services: { chatty: { entry: 'mem:chatty' } } },
    { containers: memoryContainers({ 'mem:chatty': chatty }), resolveEntry: (_n, e) => e },
  )
  cleanups.push(async () => {
    await manager.close()
    rmSync(stateDir, { recursive: true, force: true })
  })
  await manager.start()
  const real = managerSource(manager)
  let emit!: (event: SourceEvent) => void
  const source: DashboardSource = {
    ...real,
    subscribe(listener) {
      emit = listener
      return real.subscribe(listener)
    },
  }
  const waiters: ((reason: string) => void)[] = []
  const dashboard = await startDashboard({ source, limits, onClientDropped: (reason) => waiters.splice(0).forEach((w) => w(reason)) })
  cleanups.push(() => dashboard.close())
  return { manager, dashboard, emit, nextDrop: () => new Promise((resolve) => waiters.push(resolve)) }
}

/** HTTP/1.0 by hand (no chunked framing): the start of the answer, its server-sent events, and the moment it closes. */
class RawClient {
  readonly socket: Socket
  readonly closed: Promise<void>
  text = ''
  bytesRead = 0
  readonly events: Record<string, unknown>[] = []
  #rest = ''
  readonly #waiters = new Set<() => void>()

  constructor(port: number, request?: string) {
    this.socket = connect(port, '127.0.0.1')
    cleanups.push(async () => void this.socket.destroy())
    this.socket.on('error', () => {}) // a reset once the dashboard hung up: 'close' follows
    this.socket.setEncoding('utf8')
    this.socket.on('data', (chunk: string) => {
      this.bytesRead += Buffer.byteLength(chunk)
      if (this.text.length < 4096) this.text += chunk // the status line and headers, for the tests that read them
      this.#rest += chunk
      const blocks = this.#rest.split('\n\n')
      this.#rest = blocks.pop()!
      for (const block of blocks) {
        const data = block.split('\n').find((l) => l.startsWith('data: '))
        if (data) this.events.push(JSON.parse(data.slice(6)) as Record<string, unknown>)
      }
      for (const w of this.#waiters) w()
    })
    this.closed = new Promise((resolve) =>
      this.socket.once('close', () => {
        for (const w of this.#waiters) w()
        resolve()
      }),
    )
    if (request !== undefined) this.socket.write(request)
  }

  /** Resolves once `test(this)` holds; rejects if the connection closes first. */
  until(test: (c: RawClient) => boolean, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (test(this)) {
          this.#waiters.delete(check)
          resolve()
        } else if (this.socket.destroyed) {
          this.#waiters.delete(check)
          reject(new Error(`the connection closed before ${what}; got ${this.text.slice(0, 500)}`))
        }
      }
      this.#waiters.add(check)
      check()
    })
  }
}

const get = (path: string, token: string) => `GET ${path}${path.includes('?') ? '&' : '?'}token=${token} HTTP/1.0\r\nhost: 127.0.0.1\r\n\r\n`

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

describe('the dashboard bounds every client', () => {
  it('a client that sends part of a request and nothing more is answered 408 and disconnected after requestTimeoutMs', async () => {
    const { dashboard } = await start({ requestTimeoutMs: 300 })
    const client = new RawClient(dashboard.port, 'GET /events HTTP/1.1\r\nhost: 127.0.0.1\r\n')
    await client.closed
    expect(client.text).toMatch(/^HTTP\/1.1 408 /)
  })

  it('request headers over maxHeaderBytes are refused with 431', async () => {
    const { dashboard } = await start()
    const client = new RawClient(dashboard.port, `GET /events HTTP/1.1\r\nhost: 127.0.0.1\r\nx-padding: ${'p'.repeat(20 * 1024)}\r\n\r\n`)
    await client.closed
    expect(client.text).toMatch(/^HTTP\/1.1 431 /)
  })

  it('a page that never reads its live feed is cut off before the dashboard queues more than maxQueuedBytes for it', async () => {
    const maxQueued = 256 * 1024
    const { manager, dashboard, emit, nextDrop } = await start({ maxQueuedBytes: maxQueued })
    const page = new RawClient(dashboard.port, get('/events', dashboard.token))
    await page.until((c) => c.events.some((e) => e.type === 'snapshot'), 'the snapshot')
    page.socket.pause()
    let dropReason: string | null = null
    const drop = nextDrop().then((reason) => (dropReason = reason))
    // Updates of ~4 KiB each, a few hundred per turn of the event loop, until the dashboard gives up on the page.
    const update = { snapshot: manager.service('chatty'), reason: 'r'.repeat(4096) }
    let sent = 0
    while (dropReason === null && sent < 50_000) {
      for (let i = 0; i < 200; i++) emit({ type: 'service', update })
      sent += 200
      await tick()
    }
    await drop
    // Checked before each write: the queue was at most the limit plus the one update that crossed it.
    const queued = Number(/^a dashboard stream was disconnected: (\d+) bytes were queued for it unread, over the limit of 262144$/.exec(dropReason!)?.[1])
    expect(queued).toBeGreaterThan(maxQueued)
    expect(queued).toBeLessThan(maxQueued + 8192)
    page.socket.resume()
    await page.closed
    // What it got: the queue bound plus what the kernel held for it, far less than what was sent (sent × 4 KiB).
    expect(page.bytesRead).toBeLessThan(sent * 4096)
  })

  it('a page that never reads its log stream misses lines past logHighWaterBytes, and is told how many', async () => {
    const highWater = 64 * 1024
    const { manager, dashboard, nextDrop } = await start({ logHighWaterBytes: highWater })
    let dropped: string | null = null
    void nextDrop().then((reason) => (dropped = reason))
    const page = new RawClient(dashboard.port, get('/events/logs?service=chatty&limit=0', dashboard.token))
    await page.until((c) => c.events.some((e) => e.type === 'tail'), 'the tail')
    page.socket.pause()

    const lines = 20_000 // 20 MiB: more than loopback TCP buffers hold for a reader that does not read
    const over = logged(manager, 'flood over')
    await manager.call('chatty', 'flood', lines, 1024)
    await over
    page.socket.resume()
    const logLines = () => page.events.flatMap((e) => (e.type === 'lines' ? (e.lines as LogLine[]) : []))
    const MARKER = /^\[svc\] (\d+) lines dropped: this page read too slowly$/
    await page.until(() => logLines().some((l) => MARKER.test(l.line)), 'the drop count')
    const after = logged(manager, 'after the flood')
    await manager.call('chatty', 'say', 'after the flood')
    await after
    await page.until(() => logLines().some((l) => l.line === 'after the flood'), 'the next line, not dropped')

    const all = logLines()
    const marker = all.find((l) => MARKER.test(l.line))!
    const missed = Number(MARKER.exec(marker.line)![1])
    const shown = all.filter((l) => !l.line.startsWith('[svc]') && l.line !== 'after the flood')
    expect(marker).toMatchObject({ service: 'chatty', stream: 'stderr' })
    expect(missed).toBeGreaterThan(0)
    expect(shown.length + missed).toBe(lines + 1) // every flood line and "flood over": shown or counted
    expect(all.indexOf(marker)).toBeLessThan(all.findIndex((l) => l.line === 'after the flood'))
    expect(dropped).toBeNull() // a slow log reader keeps its stream
  })
})
