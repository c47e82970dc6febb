import { afterEach, describe, expect, test } from '@jest/globals'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ServicesManager } from '../../src/index.js'
import { fixtureManager, isAlive, transitions } from './harness.js'

let manager: ServicesManager | undefined
const dirs: string[] = []
afterEach(async () => {
  await manager?.close()
  manager = undefined
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

describe('observability', () => {
  test('CPU and RSS are sampled per service and kept as a history', async () => {
    manager = fixtureManager({ s: { entry: './echo.ts' } }, { usageIntervalMs: 50 })
    await manager.start()
    const samples: number[] = []
    await new Promise<void>((resolve) =>
      manager!.on('usage', (u) => {
        if (u.service === 's' && samples.push(u.rss) >= 2) resolve()
      }),
    )
    expect(samples.every((rss) => rss > 5 * 1024 * 1024)).toBe(true)
    expect(manager.usage('s').length).toBeGreaterThanOrEqual(2)
    expect(manager.service('s').usage).toMatchObject({ cpu: expect.any(Number), rss: expect.any(Number) })
  })

  test('a 100 MB output flood neither blocks the service nor grows the buffer; drops are counted', async () => {
    manager = fixtureManager({ flood: { entry: './flood.ts', logs: { bufferLines: 500 } } })
    await manager.start()
    await expect(manager.call('flood', 'flood', 100)).resolves.toBe(100)
    await expect(manager.call('flood', 'ping')).resolves.toBe('pong')
    const lines = manager.logs('flood')
    expect(lines).toHaveLength(500)
    // Drops are reported by a marker once output calms down: one more line triggers it.
    await manager.call('flood', 'ping')
    const closed = manager.waitFor('flood', 'closed')
    await manager.close(['flood'])
    await closed
    const all = manager.logs('flood').map((l) => l.line)
    expect(all.some((l) => /\[svc\] \d+ lines dropped/.test(l)) || lines.some((l) => /lines dropped/.test(l.line))).toBe(true)
  })

  test('lines dropped at the end of a burst are reported by the counted marker, though no output follows', async () => {
    manager = fixtureManager({ burst: { entry: './echo.ts' } })
    await manager.start()
    const written = 60_001 // 60,000 lines and one to stderr: three times the gate's burst of 20,000
    let recorded = 0
    let dropped = 0
    const accounted = new Promise<void>((resolve) =>
      manager!.on('log', (l) => {
        if (l.service !== 'burst') return
        const marker = /^\[svc\] (\d+) lines dropped/.exec(l.line)
        if (marker) dropped += Number(marker[1])
        else if (/^line \d+$|^to stderr$/.test(l.line)) recorded++
        if (recorded + dropped === written) resolve()
      }),
    )
    await manager.call('burst', 'shout', written - 1)
    await accounted // every line is either recorded or counted by a marker, with nothing written after the burst
    expect(dropped).toBeGreaterThan(0)
  })

  test('lines also go to a rotating file when configured', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'svc-logs-'))
    dirs.push(dir)
    const file = join(dir, 'talker.log')
    manager = fixtureManager({ talker: { entry: './echo.ts', logs: { file, maxBytes: 4096, maxFiles: 3 } } })
    await manager.start()
    await manager.call('talker', 'shout', 300)
    await manager.close()
    expect(existsSync(file)).toBe(true)
    expect(existsSync(`${file}.1`)).toBe(true)
    expect(existsSync(`${file}.3`)).toBe(false)
    expect(readFileSync(file, 'utf8').length).toBeLessThanOrEqual(4096)
    expect(readFileSync(`${file}.1`, 'utf8')).toMatch(/stdout line \d+/)
  })

  test('the exit report of a crash carries the exception that caused it', async () => {
    manager = fixtureManager({ s: { entry: './echo.ts', restart: 'never' } })
    await manager.start()
    const exit = new Promise<{ reason: string; error?: { message: string } }>((resolve) => manager!.once('exit', resolve))
    await manager.call('s', 'throwLater', 'the reason')
    expect(await exit).toMatchObject({ reason: 'crashed', error: { message: 'the reason' } })
    expect(manager.logs('s').some((l) => l.line.includes('[svc] uncaughtException: the reason'))).toBe(true)
  })

  test("a crash's stack is in the log once, under the exception line, pointing at the service's file", async () => {
    manager = fixtureManager({ s: { entry: './echo.ts', restart: 'never' } })
    await manager.start()
    const closed = manager.waitFor('s', 'closed')
    await manager.call('s', 'throwLater', 'the reason')
    await closed
    const lines = manager.logs('s').map((l) => l.line)
    expect(lines.filter((l) => l.includes('the reason'))).toEqual(['[svc] uncaughtException: the reason'])
    const at = lines.indexOf('[svc] uncaughtException: the reason')
    expect(lines[at + 1]).toMatch(/^\s+at .*echo\.ts:\d+:\d+/)
    expect(lines.filter((l) => /echo\.ts:17:/.test(l))).toHaveLength(1)
  })
})

describe('health and fault injection', () => {
  test('a paused service fails its health checks and is restarted (dependents cascade)', async () => {
    manager = fixtureManager({
      h: { entry: './healthy.ts', health: { method: 'check', intervalMs: 50, timeoutMs: 100, failureThreshold: 2 }, restart: { backoff: { initialMs: 10, jitter: 0 } } },
      user: { entry: './echo.ts', dependsOn: ['h'] },
    })
    await manager.start()
    const mark = manager.timeline().length
    const userBack = new Promise<void>((r) => manager!.on('state', (c) => c.service === 'user' && c.to === 'running' && r()))
    manager.faults.pause('h')
    await userBack
    expect(transitions(manager.timeline().slice(mark))).toEqual([
      'h:closed',
      'user:closing',
      'user:closed',
      'h:starting',
      'h:running',
      'user:starting',
      'user:running',
    ])
    expect(manager.timeline('h').some((c) => c.reason.startsWith('unhealthy'))).toBe(true)
  })

  test('cutting a service channel makes it exit; that is a crash and it restarts', async () => {
    manager = fixtureManager({ s: { entry: './echo.ts', restart: { backoff: { initialMs: 10, jitter: 0 } } } })
    await manager.start()
    const crash = new Promise((r) => manager!.once('crash', r))
    manager.faults.cutChannel('s')
    await crash
    await manager.waitFor('s', 'running')
    await expect(manager.call('s', 'echo', 1)).resolves.toBe(1)
  })

  test('delayNextStart holds a start after its dependencies run', async () => {
    manager = fixtureManager({ a: { entry: './echo.ts', dependsOn: ['b'] }, b: { entry: './echo.ts' } })
    manager.faults.delayNextStart('a', 300)
    await manager.start()
    const t = manager.timeline()
    const bRunning = t.find((c) => c.service === 'b' && c.to === 'running')!.at
    const aStarting = t.find((c) => c.service === 'a' && c.to === 'starting')!.at
    expect(aStarting - bRunning).toBeGreaterThanOrEqual(290)
  })
})

describe('child services (seed 003)', () => {
  test('a child depends on its parent, closes before it, counts in its usage, and leaves with it', async () => {
    manager = fixtureManager({ p: { entry: './parent.ts', permissions: { childServices: true } } }, { usageIntervalMs: 50 })
    await manager.start()
    await manager.call('p', 'spawnKid', 'kid')
    expect(manager.service('kid')).toMatchObject({ state: 'running', parent: 'p', dependsOn: ['p'] })
    await expect(manager.call('kid', 'echo', 'hi')).resolves.toBe('hi')
    // The listener leaves once satisfied: after close(['p']) there is no 'kid' to ask about.
    await new Promise<void>((r) => {
      const seen = (u: { service: string }): void => {
        if (u.service !== 'p' || manager!.usage('kid').length === 0) return
        manager!.off('usage', seen)
        r()
      }
      manager!.on('usage', seen)
    })
    const own = manager.usage('kid').at(-1)!.rss
    expect(manager.usage('p').at(-1)!.rss).toBeGreaterThan(own)
    await manager.close(['p'])
    const t = transitions(manager.timeline())
    expect(t.indexOf('kid:closed')).toBeLessThan(t.indexOf('p:closing'))
    expect(manager.services().map((s) => s.name)).toEqual(['p'])
  })

  test('a parent that crashes takes its child services down first; restarted, it runs without them, and they never come back', async () => {
    manager = fixtureManager({ p: { entry: './parent.ts', permissions: { childServices: true }, restart: { backoff: { initialMs: 0, jitter: 0 } } } })
    await manager.start()
    await manager.call('p', 'spawnKid', 'kid')
    const kidPid = manager.service('kid').pid!
    const restarts: string[] = []
    manager.on('restart', (r) => restarts.push(r.service))
    await manager.kill('p', 'SIGKILL')
    const t = transitions(manager.timeline())
    expect(t.indexOf('kid:closed')).toBeGreaterThan(-1)
    expect(t.lastIndexOf('p:running')).toBeGreaterThan(t.indexOf('kid:closed'))
    expect(manager.state('p')).toBe('running')
    expect(manager.services().map((s) => s.name)).toEqual(['p']) // the child left the graph with its parent's run
    expect(restarts).toEqual(['p'])
    expect(isAlive(kidPid)).toBe(false)
    // The parent can create it again: the name is free.
    await manager.call('p', 'spawnKid', 'kid')
    expect(manager.state('kid')).toBe('running')
  })

  test('without permission, spawnChild is refused with a coded error', async () => {
    manager = fixtureManager({ p: { entry: './parent.ts' } })
    await manager.start()
    await expect(manager.call('p', 'spawnKid', 'kid')).rejects.toMatchObject({ code: 'SVC_ERR_ACCESS_DENIED' })
  })
})
