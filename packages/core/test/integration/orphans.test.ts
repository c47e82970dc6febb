import { afterEach, describe, expect, test } from '@jest/globals'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { FIXTURES, fixtureManager, isAlive, spawnerOf, until } from './harness.js'

const services = {
  plain: { entry: './echo.ts' },
  gp: { entry: './grandparent.ts' },
  busy: { entry: './busy.ts' },
  // Detached, setsid'd and double-forked descendants: gone too, where the host contains services (treeOf finds them).
  esc: { entry: './escaper.ts', config: { port: 0 } },
}
const dirs: string[] = []
const children: ChildProcess[] = []
/** Every service pid a test saw: cleaned up even when the test fails half-way (it kills watchdogs on purpose). */
const seen: number[] = []
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL')
  for (const pid of seen.splice(0)) {
    try {
      process.kill(-pid, 'SIGKILL')
    } catch {}
    try {
      process.kill(pid, 'SIGKILL')
    } catch {}
  }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

// Starts a manager in its own process and reads its JSON lines.
function runManager(stateDir: string, spawner?: boolean) {
  const child = spawn(process.execPath, [join(FIXTURES, 'run-manager.mjs'), JSON.stringify({ services, stateDir, spawner })], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  children.push(child)
  // Every line is kept from the start: two lines can arrive in one chunk, before anyone waits for the second.
  const received: Record<string, unknown>[] = []
  const waiters = new Set<() => void>()
  createInterface({ input: child.stdout! }).on('line', (line) => {
    received.push(JSON.parse(line) as Record<string, unknown>)
    for (const w of waiters) w()
  })
  const next = (key: string) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const check = () => {
        const msg = received.find((m) => key in m)
        if (!msg) return
        waiters.delete(check)
        resolve(msg)
      }
      child.once('exit', (code) => reject(new Error(`manager exited with ${code}`)))
      waiters.add(check)
      check()
    })
  return { child, next }
}

async function allPids(m: ReturnType<typeof runManager>): Promise<{ pids: number[]; leaders: number[]; watchdog: number }> {
  const ready = (await m.next('pids')) as { pids: Record<string, number[]>; watchdog: number }
  await m.next('spinning')
  const pids = Object.values(ready.pids).flat()
  seen.push(...pids, ready.watchdog)
  return { pids, leaders: Object.values(ready.pids).map((tree) => tree[0]!), watchdog: ready.watchdog }
}

describe('no orphans', () => {
  test.each([
    ['', false],
    [', and its spawner exits', true],
  ])('when the manager is SIGKILLed, every service and grandchild is gone within 5 s (busy loop included)%s', async (_, withSpawner) => {
    const stateDir = mkdtempSync(join(tmpdir(), 'svc-orphans-'))
    dirs.push(stateDir)
    const m = runManager(stateDir, withSpawner)
    const { pids: found, leaders, watchdog } = await allPids(m)
    // The middle process of a double fork exits on its own, maybe after the tree was read: count what still runs.
    const pids = found.filter(isAlive)
    expect(leaders.every(isAlive)).toBe(true)
    expect(pids.length).toBeGreaterThanOrEqual(5)
    const spawner = spawnerOf(m.child.pid!)
    expect(spawner !== null).toBe(withSpawner)
    if (spawner) seen.push(spawner)
    m.child.kill('SIGKILL')
    await until(() => pids.every((p) => !isAlive(p)), 5000, 'every service process to die')
    await until(() => !isAlive(watchdog), 5000, 'the watchdog to exit')
    if (spawner) await until(() => !isAlive(spawner), 5000, 'the spawner to exit')
  })

  test('a new start kills what a dead run left behind (manager and watchdog both SIGKILLed)', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'svc-leftovers-'))
    dirs.push(stateDir)
    const m = runManager(stateDir)
    const { pids, watchdog } = await allPids(m)
    process.kill(watchdog, 'SIGKILL')
    await until(() => !isAlive(watchdog), 5000, 'the watchdog to die')
    m.child.kill('SIGKILL')
    await new Promise((r) => m.child.once('exit', r))
    expect(pids.filter(isAlive).length).toBeGreaterThan(0) // nothing cleaned up yet: that is the next start's job
    const next = fixtureManager({ plain: { entry: './echo.ts' } }, {}, stateDir)
    const notices: string[] = []
    next.on('notice', (n) => notices.push(n.message))
    await next.start()
    try {
      await until(() => pids.every((p) => !isAlive(p)), 5000, 'the leftovers to be killed')
      expect(notices.join('\n')).toContain('killed leftovers of a dead run')
    } finally {
      await next.close()
    }
  })
})
