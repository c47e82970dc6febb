// Command services and one-shots, as real processes: the graph's rules (order by condition, crash cascade, stop
// escalation, containment, usage) hold for any executable, not only for Node services.

import { afterEach, describe, expect, test } from '@jest/globals'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { hostContainment } from '../../src/container/containment.js'
import type { ServicesManager } from '../../src/index.js'
import { fixtureManager, freePort, isAlive, runningAgain, transitions, treeOf, until } from './harness.js'

const contained = hostContainment().kind !== 'process-group'

let manager: ServicesManager | undefined
const dirs: string[] = []
afterEach(async () => {
  await manager?.close()
  manager = undefined
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'svc-cmd-'))
  dirs.push(dir)
  return dir
}

/** Host pids of `sleep <arg>` processes. */
function sleepsNamed(arg: string): number[] {
  return readdirSync('/proc').filter((pid) => {
    try {
      return /^\d+$/.test(pid) && readFileSync(`/proc/${pid}/cmdline`, 'utf8') === `sleep\x00${arg}\x00`
    } catch {
      return false
    }
  }).map(Number)
}

// A command that waits for a file: the test decides when it finishes, with no timing involved.
const waitForFile = (file: string) => ['sh', '-c', `while [ ! -e '${file}' ]; do sleep 0.01; done; echo released`]

describe('one-shots and conditions', () => {
  test("a one-shot runs before the services that wait for it to complete, and a cascade does not re-run it", async () => {
    const dir = tempDir()
    manager = fixtureManager(
      {
        db: { command: ['sleep', '1000'] },
        migrate: { command: `echo migrating >> '${dir}/runs'`, oneshot: true, dependsOn: ['db'] },
        api: { entry: './echo.ts', dependsOn: { db: 'ready', migrate: 'completed' } },
      },
      {},
      dir,
    )
    await manager.start()
    expect(transitions(manager.timeline())).toEqual(['db:starting', 'db:running', 'migrate:starting', 'migrate:completed', 'api:starting', 'api:running'])
    expect(manager.service('migrate')).toMatchObject({ state: 'completed', display: 'completed', pid: null, kind: 'command', oneshot: true, lastExit: { code: 0, reason: 'completed' } })
    expect(manager.service('api').conditions).toEqual({ db: 'ready', migrate: 'completed' })

    // api's crash: its dependencies are not touched, so the one-shot is not run again.
    await manager.kill('api', 'SIGKILL')
    expect(manager.service('api').state).toBe('running')
    expect(manager.service('migrate').state).toBe('completed')
    // db's crash: the one-shot depends on db, so it runs again, before api.
    const before = manager.timeline().length
    await manager.kill('db', 'SIGKILL')
    expect(transitions(manager.timeline().slice(before))).toEqual([
      'db:closed', 'api:closing', 'api:closed', 'migrate:closed',
      'db:starting', 'db:running', 'migrate:starting', 'migrate:completed', 'api:starting', 'api:running',
    ])
    expect(manager.logs('migrate').map((l) => l.line)).toEqual([])
    expect(readFileSync(join(dir, 'runs'), 'utf8')).toBe('migrating\nmigrating\n')
  })

  test('a one-shot that fails is failed, with its exit code, and its dependents do not start', async () => {
    manager = fixtureManager({
      migrate: { command: ['sh', '-c', 'echo "no database" >&2; exit 3'], oneshot: true },
      api: { entry: './echo.ts', dependsOn: ['migrate'] },
    })
    const failed = new Promise((resolve) => manager!.once('failed', resolve))
    await expect(manager.start()).rejects.toMatchObject({ code: 'SVC_ERR_ONESHOT_FAILED', service: 'migrate' })
    expect(manager.service('migrate')).toMatchObject({ display: 'failed', lastExit: { code: 3, reason: 'start-failed', error: { code: 'SVC_ERR_ONESHOT_FAILED' } } })
    expect(manager.service('migrate').lastExit!.error!.message).toContain('"migrate" exited with code 3')
    await expect(failed).resolves.toMatchObject({ service: 'migrate' })
    expect(manager.service('api').state).toBe('closed')
    expect(manager.logs('migrate').map((l) => l.line)).toContain('no database')
    // Starting a dependent by hand runs the failed one-shot again (as systemctl start pulls in its requirements).
    await expect(manager.start(['api'])).rejects.toMatchObject({ code: 'SVC_ERR_ONESHOT_FAILED', service: 'migrate' })
    expect(manager.logs('migrate').filter((l) => l.line === 'no database')).toHaveLength(2)
  })

  test("'started' lets a dependent start while its dependency is still starting", async () => {
    const dir = tempDir()
    const flag = join(dir, 'go')
    manager = fixtureManager({
      slow: { command: waitForFile(flag), oneshot: true },
      api: { entry: './echo.ts', dependsOn: { slow: 'started' } },
    })
    const all = manager.start()
    await manager.waitFor('api', 'running')
    expect(manager.service('slow')).toMatchObject({ state: 'starting', waitingFor: 'exit 0' })
    expect(manager.service('slow').pid).not.toBeNull()
    writeFileSync(flag, '')
    await all
    expect(manager.service('slow').state).toBe('completed')
    expect(manager.logs('slow').map((l) => l.line)).toEqual(['released'])
  })
})

describe('the graph rules for command services', () => {
  test('a SIGKILLed command closes its dependents and brings them back; calls to it are refused with a coded error', async () => {
    manager = fixtureManager({
      store: { command: ['sleep', '1000'], restart: { backoff: { initialMs: 0, jitter: 0 } } },
      api: { entry: './echo.ts', dependsOn: ['store'] },
    })
    await manager.start()
    const old = manager.service('store').pid!
    await manager.kill('store', 'SIGKILL')
    expect(manager.service('store')).toMatchObject({ state: 'running', restarts: 1 })
    expect(manager.service('store').pid).not.toBe(old)
    expect(transitions(manager.timeline('api'))).toEqual(['api:starting', 'api:running', 'api:closing', 'api:closed', 'api:starting', 'api:running'])
    await expect(manager.call('store', 'get')).rejects.toMatchObject({ code: 'SVC_ERR_NOT_CALLABLE', service: 'store' })
  })

  test('the stop signal asks first; a command that ignores it is killed after killTimeoutMs', async () => {
    manager = fixtureManager({
      polite: { command: ['sh', '-c', 'trap "echo got INT; exit 0" INT; echo up; while :; do sleep 0.01; done'], stopSignal: 'SIGINT', ready: undefined },
      deaf: { command: ['sh', '-c', 'trap "" TERM; echo up; while :; do sleep 0.01; done'], killTimeoutMs: 200 },
    })
    await manager.start()
    await until(() => manager!.logs('polite').length > 0 && manager!.logs('deaf').length > 0, 5000, 'both to print "up"')
    await manager.close()
    expect(manager.logs('polite').map((l) => l.line)).toContain('got INT')
    expect(manager.service('polite').lastExit).toMatchObject({ code: 0, reason: 'sigterm' })
    expect(manager.service('deaf').lastExit).toMatchObject({ signal: 'SIGKILL', reason: 'sigkill' })
  })

  test('a command closed while it is being started leaves no process', async () => {
    const dir = tempDir()
    manager = fixtureManager({ quick: { command: ['sleep', '1236'] } }, {}, dir)
    for (let i = 0; i < 5; i++) {
      const starting = manager.start().catch((e: { code?: string }) => e.code)
      await manager.close(['quick'])
      expect([undefined, 'SVC_ERR_START_ABORTED']).toContain(await starting)
      expect(manager.service('quick').pid).toBeNull()
    }
    await until(() => sleepsNamed('1236').length === 0, 5000, 'no sleep 1236 left')
  })

  const linuxOnly = contained ? test : test.skip
  linuxOnly('a detached grandchild of a command does not outlive it', async () => {
    manager = fixtureManager({ forker: { command: 'setsid sleep 1000 & (sleep 1001 &) ; echo forked; exec sleep 1002' } })
    await manager.start()
    await until(() => manager!.logs('forker').length > 0, 5000, 'the forks')
    await until(() => treeOf(manager!.service('forker').pid!).length >= 5, 5000, 'the whole tree')
    const tree = treeOf(manager.service('forker').pid!)
    await manager.close()
    await until(() => tree.every((pid) => !isAlive(pid)), 5000, 'every process of the tree to be gone')
  })

  test('a command whose health check fails is restarted, and its dependents with it', async () => {
    const port = await freePort()
    // The listener is a child of the service's shell: killing it leaves the service running, but unhealthy.
    manager = fixtureManager({
      web: {
        command: `socat TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr,fork EXEC:true & exec sleep 1000`,
        ready: { tcp: port, intervalMs: 20 },
        health: { tcp: port, intervalMs: 50, timeoutMs: 500, failureThreshold: 2 },
        restart: { backoff: { initialMs: 0, jitter: 0 } },
      },
      api: { entry: './echo.ts', dependsOn: ['web'] },
    })
    await manager.start()
    const notices: string[] = []
    manager.on('notice', (n) => notices.push(n.message))
    const listener = treeOf(manager.service('web').pid!).find((pid) => /^socat/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8')))!
    const back = runningAgain(manager, 'api')
    process.kill(listener, 'SIGKILL')
    await back
    expect(manager.service('web')).toMatchObject({ state: 'running', restarts: 1, lastExit: { reason: 'unhealthy', signal: 'SIGKILL' } })
    expect(manager.timeline('web').map((c) => c.reason)).toContain('unhealthy (SIGKILL)')
    expect(notices.find((n) => n.startsWith('unhealthy: 2 failed health checks'))).toContain(`tcp 127.0.0.1:${port} failed`)
  })

  test('a command that floods its output or writes a huge line is held to the same log bounds as a Node service', async () => {
    manager = fixtureManager({
      // 2 MiB in one line, then 200 000 short lines as fast as the pipe takes them.
      flood: { command: `head -c 2097152 /dev/zero | tr '\\0' x; echo; seq 1 200000; echo done`, oneshot: true, logs: { bufferLines: 100 } },
    })
    await manager.start()
    const lines = manager.logs('flood', 1000)
    expect(lines.length).toBeLessThanOrEqual(100)
    expect(lines.every((l) => l.line.length <= 16 * 1024)).toBe(true)
    // The burst is dropped, and says so (last, unless the burst outlasted the rate window and a line after it, such as
    // `done`, opened a new one: seen once in CI on a loaded machine).
    expect(lines.some((l) => /^\[svc\] \d+ lines dropped: output exceeded \d+ lines\/s/.test(l.line))).toBe(true)
  })

  test('CPU and RSS of a command are sampled', async () => {
    manager = fixtureManager({ busy: { command: ['sleep', '1000'] } }, { usageIntervalMs: 50 })
    await manager.start()
    await new Promise<void>((resolve) => manager!.on('usage', (u) => u.service === 'busy' && resolve()))
    expect(manager.service('busy').usage!.rss).toBeGreaterThan(0)
  })

  test('cwd, env and envFile reach the command', async () => {
    const dir = tempDir()
    writeFileSync(join(dir, '.env'), 'FROM_FILE=file\nBOTH=file\n')
    manager = fixtureManager({
      show: { command: 'echo "$FROM_FILE $BOTH $SVC_SERVICE"; pwd', oneshot: true, cwd: dir, envFile: join(dir, '.env'), env: { BOTH: 'env' } },
    })
    await manager.start()
    expect(manager.logs('show').map((l) => l.line)).toEqual(['file env show', dir])
  })

  test('a program that is not installed fails the start with a coded error naming it', async () => {
    manager = fixtureManager({ nope: { command: ['svc-no-such-program', '--flag'], restart: 'never' } })
    await expect(manager.start()).rejects.toMatchObject({ code: 'SVC_ERR_COMMAND_NOT_FOUND', service: 'nope', message: expect.stringContaining('"svc-no-such-program" was not found') })
    expect(manager.service('nope')).toMatchObject({ display: 'crashed', pid: null })
  })

  test("what Node's permission model cannot enforce on a command is reported as not enforced", async () => {
    manager = fixtureManager({ cmd: { command: ['true'], oneshot: true, permissions: { fs: { read: ['/tmp'] } } } })
    const notices: string[] = []
    manager.on('notice', (n) => notices.push(n.message))
    await manager.start()
    expect(notices).toContain("permissions: fs, childProcess, worker rules NOT enforced — Node's permission model governs Node services only, not a command")
  })
})
