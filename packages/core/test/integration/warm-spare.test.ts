import { afterEach, describe, expect, test } from '@jest/globals'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ServicesManager } from '../../src/index.js'
import { fixtureManager, isAlive, runningAgain as runningAgainIn, until } from './harness.js'

const spare = { backoff: { initialMs: 0, jitter: 0 }, warmSpare: true }
let manager: ServicesManager | undefined
afterEach(async () => {
  await manager?.close()
  manager = undefined
})

const sparePid = (name: string) => manager!.service(name).sparePid
const spareBooted = (name: string) => until(() => sparePid(name) !== null, 10_000, `a warm spare for ${name}`)
const runningAgain = (name: string) => runningAgainIn(manager!, name)

describe('restart.warmSpare', () => {
  test('a crash cascade restarts the dependency and its dependents in their warm spares', async () => {
    manager = fixtureManager({ dep: { entry: './plain.mjs', restart: spare }, app: { entry: './plain.mjs', dependsOn: ['dep'], restart: spare } })
    await manager.start()
    await spareBooted('dep')
    await spareBooted('app')
    const spares = { dep: sparePid('dep')!, app: sparePid('app')! }
    const old = { dep: manager.service('dep').pid!, app: manager.service('app').pid! }
    expect(spares.dep).not.toBe(old.dep)

    const back = Promise.all([runningAgain('dep'), runningAgain('app')])
    manager.kill('dep', 'SIGKILL')
    await back
    // The spares became the services (no process start on the recovery path), and they answer calls.
    expect(manager.service('dep').pid).toBe(spares.dep)
    expect(manager.service('app').pid).toBe(spares.app)
    await expect(manager.call('app', 'loader')).resolves.toBe('native')
    // New spares are booted for the next time.
    await spareBooted('dep')
    await spareBooted('app')
    expect(sparePid('dep')).not.toBe(spares.dep)
    await until(() => !isAlive(old.dep) && !isAlive(old.app), 5_000, 'the crashed processes to be gone')
  })

  test('restart() uses the spare; stopping a service kills its spare and its dependents spares', async () => {
    manager = fixtureManager({ dep: { entry: './loader-kind.ts', restart: spare }, app: { entry: './plain.mjs', dependsOn: ['dep'], restart: spare } })
    await manager.start()
    await spareBooted('dep')
    const depSpare = sparePid('dep')!
    await manager.restart('dep')
    expect(manager.service('dep').pid).toBe(depSpare)
    await expect(manager.call('dep', 'loader')).resolves.toBe('jiti')

    await spareBooted('dep')
    await spareBooted('app')
    const spares = [sparePid('dep')!, sparePid('app')!]
    await manager.close(['dep'])
    expect(sparePid('dep')).toBeNull()
    expect(sparePid('app')).toBeNull()
    expect(spares.filter(isAlive)).toEqual([])
  })

  test('closing the manager leaves no spare behind; services without the option get none', async () => {
    manager = fixtureManager({ warm: { entry: './plain.mjs', restart: spare }, cold: { entry: './plain.mjs' } })
    await manager.start()
    await spareBooted('warm')
    const warmSpare = sparePid('warm')!
    expect(sparePid('cold')).toBeNull()
    await manager.close()
    expect(isAlive(warmSpare)).toBe(false)
  })

  test('a spare that dies while idle is not a crash; the next start spawns a fresh process', async () => {
    manager = fixtureManager({ svc: { entry: './plain.mjs', restart: spare } })
    await manager.start()
    await spareBooted('svc')
    const idle = sparePid('svc')!
    const crashes: string[] = []
    manager.on('crash', (c) => crashes.push(c.service))
    process.kill(-idle, 'SIGKILL')
    await until(() => sparePid('svc') === null, 5_000, 'the dead spare to be forgotten')
    expect(manager.state('svc')).toBe('running')
    expect(crashes).toEqual([])
    await manager.restart('svc')
    expect(manager.state('svc')).toBe('running')
    expect(manager.service('svc').pid).not.toBe(idle)
  })

  test('warmSpare must be a boolean', () => {
    expect(() => fixtureManager({ svc: { entry: './plain.mjs', restart: { warmSpare: 'yes' as unknown as boolean } } })).toThrow(
      expect.objectContaining({ code: 'SVC_ERR_MANIFEST_INVALID', service: 'svc' }),
    )
  })
})

describe('replacements booted during a crash cascade', () => {
  test('a crash cascade boots the dependents\' replacements while their old processes close (no warmSpare)', async () => {
    const fast = { backoff: { initialMs: 0, jitter: 0 } }
    // app's close hook never ends: its old process stays in `closing` until the test kills it.
    // app's restart policy plays no part in the cascade; "never" lets the test end it with a kill.
    manager = fixtureManager({
      dep: { entry: './plain.mjs', restart: fast },
      app: { entry: './stubborn.ts', dependsOn: ['dep'], restart: { policy: 'never' }, stopTimeoutMs: 60_000 },
    })
    await manager.start()
    const oldApp = manager.service('app').pid!
    const back = runningAgain('app')
    manager.kill('dep', 'SIGKILL')
    await spareBooted('app')
    expect(manager.state('app')).toBe('closing')
    const replacement = sparePid('app')!
    expect(replacement).not.toBe(oldApp)

    process.kill(-oldApp, 'SIGKILL') // the old process ends: app starts again, in the process that booted meanwhile
    await back
    expect(manager.service('app').pid).toBe(replacement)
    expect(sparePid('app')).toBeNull() // a one-off: no spare is kept without the option
    await expect(manager.call('app', 'pid')).resolves.toEqual(expect.any(Number)) // it answers (its own namespace's pid)
    const gone = new Promise((r) => manager!.once('exit', r))
    manager.kill('app', 'SIGKILL') // its close hook would hold manager.close() for a minute
    await gone
  })

  test('when the crashed dependency cannot be restarted, the replacements booted for its dependents are killed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'svc-spare-'))
    try {
      const once = { backoff: { initialMs: 0, jitter: 0 }, maxRestarts: 1, windowMs: 60_000 }
      manager = fixtureManager({
        dep: { entry: './fails-when-restarted.ts', config: { marker: join(dir, 'started') }, restart: once },
        app: { entry: './plain.mjs', dependsOn: ['dep'], restart: once },
      })
      await manager.start()
      const failed = new Promise((r) => manager!.once('failed', r))
      manager.kill('dep', 'SIGKILL')
      await failed
      expect(manager.state('app')).toBe('closed')
      // dep's restart failed, so app is not coming back: nothing of either may be left running.
      await until(() => serviceProcesses().length === 0, 5_000, 'every service process to be gone')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

/** Live service processes of this test (children whose environment names a service; not the watchdog). */
function serviceProcesses(): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
        const ppid = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]
        return Number(ppid) === process.pid && isAlive(Number(pid)) && readFileSync(`/proc/${pid}/environ`, 'utf8').includes('\0SVC_SERVICE=')
      } catch {
        return false // gone meanwhile
      }
    })
    .map(Number)
}
