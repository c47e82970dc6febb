// Readiness gates the start of dependents: a mixed graph of redis-server, python3's http.server and a one-shot in
// front of a Node service, real processes and real probes; a probe that never passes and a process that exits
// before it is ready both fail the start with a coded error; `spawned` tells views what a start waits for.

import { afterEach, describe, expect, test } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { createServer } from 'node:net'
import { join } from 'node:path'
import type { ServicesManager } from '../../src/index.js'
import { fixtureManager, freePort, isAlive, transitions, treeOf, until } from './harness.js'

let manager: ServicesManager | undefined
const dirs: string[] = []
afterEach(async () => {
  await manager?.close()
  manager = undefined
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})


function installed(program: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${program}`], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

// The mixed graph needs both programs. CI installs them (.ci/run); elsewhere a missing one skips, saying how.
const programs = ['redis-server', 'python3'].filter((p) => !installed(p))
const withPrograms = programs.length === 0 || process.env.CI === 'true' ? test : test.skip
if (programs.length > 0 && process.env.CI !== 'true') console.log(`mixed-graph readiness test skipped: install ${programs.join(' and ')} to run it`)

describe('a mixed graph', () => {
  withPrograms('redis-server, http.server and a one-shot start in the order of their conditions, each when ready', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'svc-ready-'))
    dirs.push(dir)
    writeFileSync(join(dir, 'index.html'), 'hello')
    const [redisPort, webPort] = [await freePort(), await freePort()]
    manager = fixtureManager({
      redis: { command: ['redis-server', '--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], ready: { tcp: redisPort, intervalMs: 20 } },
      // Serves only after a pause, so its probe fails first and succeeds late.
      web: { command: `sleep 0.3; exec python3 -m http.server ${webPort} --bind 127.0.0.1`, cwd: dir, ready: { http: `http://127.0.0.1:${webPort}/index.html`, intervalMs: 50 } },
      migrate: { command: ['sh', '-c', `redis-cli -p ${redisPort} set migrated yes || echo no redis-cli`], oneshot: true, dependsOn: ['redis'] },
      api: { entry: './echo.ts', dependsOn: { redis: 'ready', migrate: 'completed', web: 'ready' } },
    })
    const waits: string[] = []
    manager.on('state', (c) => {
      if (c.to === 'starting') waits.push(`${c.service}: ${manager!.service(c.service).waitingFor}`)
    })
    await manager.start()
    const order = transitions(manager.timeline())
    const at = (step: string) => order.indexOf(step)
    expect(at('api:starting')).toBeGreaterThan(at('redis:running'))
    expect(at('api:starting')).toBeGreaterThan(at('web:running'))
    expect(at('api:starting')).toBeGreaterThan(at('migrate:completed'))
    expect(at('migrate:starting')).toBeGreaterThan(at('redis:running'))
    expect(waits).toEqual(expect.arrayContaining([`redis: tcp 127.0.0.1:${redisPort}`, `web: http http://127.0.0.1:${webPort}/index.html`, 'migrate: exit 0']))
    const res = await fetch(`http://127.0.0.1:${webPort}/index.html`)
    expect(await res.text()).toBe('hello')

    // SIGKILL of redis: its dependents close and come back, each after redis is ready again.
    const before = manager.timeline().length
    await manager.kill('redis', 'SIGKILL')
    const after = transitions(manager.timeline().slice(before))
    expect(after.indexOf('api:closed')).toBeLessThan(after.indexOf('redis:starting'))
    expect(after.indexOf('redis:running')).toBeLessThan(after.indexOf('migrate:starting'))
    expect(after.at(-1)).toBe('api:running')
    expect(manager.service('web').restarts).toBe(0)

    const trees = ['redis', 'web', 'api'].flatMap((name) => treeOf(manager!.service(name).pid!))
    await manager.close()
    await until(() => trees.every((pid) => !isAlive(pid)), 5000, 'every process of the graph to be gone')
  })
})

describe('when readiness fails', () => {
  test('a probe that never passes fails the start within startTimeoutMs, says what it waited for, and kills the process', async () => {
    const port = await freePort()
    manager = fixtureManager({ deaf: { command: ['sleep', '1000'], ready: { tcp: port, intervalMs: 20 }, startTimeoutMs: 300, restart: 'never' } })
    const error = await manager.start().catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'SVC_ERR_NOT_READY', service: 'deaf', message: expect.stringContaining(`tcp 127.0.0.1:${port} never passed (last: tcp 127.0.0.1:${port} failed`) })
    expect(manager.service('deaf')).toMatchObject({ state: 'closed', pid: null, waitingFor: null })
  })

  test('a start not ready in time is tried again by its restart policy, and the one that gets ready runs', async () => {
    const port = await freePort()
    manager = fixtureManager({
      late: { command: ['sleep', '1000'], ready: { tcp: port, intervalMs: 20 }, startTimeoutMs: 300, restart: { backoff: { initialMs: 0, jitter: 0 } } },
      after: { entry: './echo.ts', dependsOn: ['late'] },
    })
    // The port opens once the first attempt has failed: the second attempt's probe passes.
    const server = createServer()
    manager.once('restart', () => server.listen(port, '127.0.0.1'))
    try {
      await manager.start()
      expect(manager.service('late')).toMatchObject({ state: 'running', restarts: 1, lastExit: { reason: 'start-failed', error: { code: 'SVC_ERR_NOT_READY' } } })
      expect(manager.service('after').state).toBe('running')
      expect(manager.timeline('late').map((c) => c.to)).toEqual(['starting', 'closed', 'starting', 'running'])
    } finally {
      server.close()
    }
  })

  test('a close during the wait before the next attempt ends the start at once, not after the backoff', async () => {
    const port = await freePort()
    manager = fixtureManager({
      never: { command: ['sleep', '1000'], ready: { tcp: port, intervalMs: 20 }, startTimeoutMs: 200, restart: { backoff: { initialMs: 30_000, jitter: 0 } } },
    })
    const waiting = new Promise((resolve) => manager!.once('restart', resolve))
    const starting = manager.start().catch((e: { code?: string }) => e.code)
    await expect(waiting).resolves.toMatchObject({ service: 'never', delayMs: 30_000 })
    expect(manager.service('never').display).toBe('restarting')
    await manager.close()
    expect(await starting).toBe('SVC_ERR_START_ABORTED')
    expect(manager.service('never')).toMatchObject({ state: 'closed', pid: null, restarts: 1 })
    expect(manager.service('never').display).not.toBe('restarting')
  })

  test('a process that exits before it is ready fails the start at once, not at the timeout', async () => {
    manager = fixtureManager({ quitter: { command: ['sh', '-c', 'echo bye; exit 4'], ready: { log: 'never printed' }, restart: 'never' } })
    const notices: string[] = []
    manager.on('notice', (n) => notices.push(n.message))
    await expect(manager.start()).rejects.toMatchObject({ code: 'SVC_ERR_EXITED_DURING_START', message: expect.stringContaining('exited with code 4 before it was ready (waiting for log /never printed/)') })
    expect(notices).toContain('not restarted: restart policy is "never"')
  })

  test('a Node service may add a probe to its own start: both must pass', async () => {
    const port = await freePort()
    manager = fixtureManager({
      holder: { entry: './port-holder.ts', config: { port }, ready: { tcp: port, intervalMs: 20 } },
      logged: { entry: './echo.ts', ready: { log: '^logged up$' }, startTimeoutMs: 10_000 },
    })
    await manager.start()
    expect(manager.service('holder').state).toBe('running')
    expect(manager.service('logged').state).toBe('running')
  })
})

describe('the spawned event', () => {
  test("reports a starting service's process as soon as it exists, when its snapshot already says what it waits for", async () => {
    const port = await freePort()
    manager = fixtureManager({ waiting: { command: ['sleep', '1000'], ready: { tcp: port, intervalMs: 20 }, startTimeoutMs: 60_000, restart: 'never' } })
    const spawned = new Promise<{ service: string; pid: number | null }>((resolve) => manager!.once('spawned', resolve))
    const start = manager.start().catch((e: unknown) => e) // abandoned by the close below
    const { service, pid } = await spawned
    expect(service).toBe('waiting')
    expect(manager.service('waiting')).toMatchObject({ state: 'starting', pid, waitingFor: `tcp 127.0.0.1:${port}` })
    expect(isAlive(pid!)).toBe(true)
    await manager.close()
    await start
    expect(isAlive(pid!)).toBe(false)
  })
})
