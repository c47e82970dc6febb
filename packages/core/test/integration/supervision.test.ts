import { afterEach, describe, expect, test } from '@jest/globals'
import { createServer } from 'node:net'
import type { ServicesManager } from '../../src/index.js'
import { fixtureManager, isAlive, runningAgain, transitions, treeOf, until } from './harness.js'

const fast = { backoff: { initialMs: 10, maxMs: 50, jitter: 0 } }
let manager: ServicesManager | undefined
afterEach(async () => {
  await manager?.close()
  manager = undefined
})

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })
}

describe('supervision with real processes', () => {
  test('SIGKILL of B in C→A→B: C then A close, B restarts, then A then C', async () => {
    manager = fixtureManager({
      c: { entry: './echo.ts', dependsOn: ['a'], restart: 'never' },
      a: { entry: './echo.ts', dependsOn: ['b'], restart: 'never' },
      b: { entry: './echo.ts', restart: fast },
    })
    await manager.start()
    const oldPid = manager.service('b').pid
    const mark = manager.timeline().length
    const cBack = new Promise<void>((resolve) => {
      manager!.on('state', (c) => c.service === 'c' && c.to === 'running' && resolve())
    })
    manager.kill('b', 'SIGKILL')
    await cBack
    expect(transitions(manager.timeline().slice(mark))).toEqual([
      'b:closed',
      'c:closing',
      'c:closed',
      'a:closing',
      'a:closed',
      'b:starting',
      'b:running',
      'a:starting',
      'a:running',
      'c:starting',
      'c:running',
    ])
    expect(manager.service('b').pid).not.toBe(oldPid)
    expect(manager.service('b').lastExit).toMatchObject({ signal: 'SIGKILL', reason: 'crashed' })
    await expect(manager.call('c', 'echo', 'back')).resolves.toBe('back')
  })

  test('an uncaught exception is reported with its stack, then the service restarts', async () => {
    manager = fixtureManager({ s: { entry: './echo.ts', restart: fast } })
    await manager.start()
    const exception = new Promise<{ kind: string; error: { message: string; stack?: string } }>((r) => manager!.once('exception', r))
    const crashed = new Promise<{ code: number | null }>((r) => manager!.once('crash', r))
    await manager.call('s', 'throwLater', 'kaboom')
    const reported = await exception
    expect(reported.kind).toBe('uncaughtException')
    expect(reported.error.message).toBe('kaboom')
    expect(reported.error.stack).toContain('echo.ts')
    expect((await crashed).code).toBe(1)
    await manager.waitFor('s', 'running')
    expect(manager.logs('s').some((l) => l.stream === 'stderr' && l.line.includes('kaboom'))).toBe(true)
  })

  test('an unhandled rejection counts as a crash too', async () => {
    manager = fixtureManager({ s: { entry: './echo.ts', restart: 'never' } })
    await manager.start()
    const exception = new Promise<{ kind: string }>((r) => manager!.once('exception', r))
    const closed = manager.waitFor('s', 'closed')
    await manager.call('s', 'rejectLater', 'nobody caught me')
    expect((await exception).kind).toBe('unhandledRejection')
    await closed
    expect(manager.service('s').display).toBe('crashed')
  })

  test('stop escalates close → SIGTERM → SIGKILL and says which step ended it', async () => {
    manager = fixtureManager({ stubborn: { entry: './stubborn.ts', stopTimeoutMs: 200, killTimeoutMs: 200 } })
    await manager.start()
    const pid = manager.service('stubborn').pid!
    await manager.close(['stubborn'])
    expect(manager.service('stubborn').lastExit).toMatchObject({ reason: 'sigkill', signal: 'SIGKILL' })
    expect(isAlive(pid)).toBe(false)
    expect(manager.logs('stubborn').map((l) => l.line)).toContain('ignoring SIGTERM')
  })

  test('grandchildren (sh -c, node) die with their service, on stop and on crash', async () => {
    manager = fixtureManager({ gp: { entry: './grandparent.ts', restart: fast } })
    await manager.start()
    const first = treeOf(manager.service('gp').pid!)
    expect(first.length).toBeGreaterThanOrEqual(3) // the service, sh, sleep, node (and its container's own init)
    expect(first.every(isAlive)).toBe(true)
    const crashed = new Promise((r) => manager!.once('crash', r))
    manager.kill('gp', 'SIGKILL')
    await until(() => first.every((p) => !isAlive(p)), 5000, 'the crashed service tree to be gone')
    await crashed // only now is 'running' the new run's state, not the dead one's
    await manager.waitFor('gp', 'running')
    const second = treeOf(manager.service('gp').pid!)
    await manager.close(['gp'])
    await until(() => second.every((p) => !isAlive(p)), 5000, 'the stopped service tree to be gone')
  })

  test('a restarted service can bind its port again at once', async () => {
    const port = await freePort()
    manager = fixtureManager({ holder: { entry: './port-holder.ts', config: { port }, restart: fast } })
    await manager.start()
    manager.kill('holder', 'SIGKILL')
    await manager.waitFor('holder', 'closed')
    await manager.waitFor('holder', 'running')
    await expect(manager.call('holder', 'port')).resolves.toBe(port)
    await manager.restart('holder')
    await expect(manager.call('holder', 'port')).resolves.toBe(port)
  })

  test('a crash loop ends in failed after maxRestarts; dependents stay closed; the manager says why', async () => {
    manager = fixtureManager({
      loop: { entry: './crash-after-ready.ts', restart: { ...fast, maxRestarts: 2, windowMs: 60_000 } },
      user: { entry: './echo.ts', dependsOn: ['loop'] },
    })
    const failed = new Promise<{ service: string; why: string }>((r) => manager!.once('failed', r))
    await manager.start().catch(() => {}) // it may already be crashing by the time user starts
    const failure = await failed
    expect(failure).toMatchObject({ service: 'loop', why: expect.stringContaining('maxRestarts 2') })
    expect(manager.service('loop')).toMatchObject({ display: 'failed', restarts: 2 })
    expect(manager.state('user')).toBe('closed')
    const loopStates = manager.timeline('loop').map((c) => c.to)
    expect(loopStates).toEqual(['starting', 'running', 'closed', 'starting', 'running', 'closed', 'starting', 'running', 'closed'])
  })

  test('a service that exits during its first start is retried by its policy, then failed, and the caller told why', async () => {
    manager = fixtureManager({
      quitter: { entry: './exits-during-start.ts', restart: { ...fast, maxRestarts: 2 } },
    })
    const failed = new Promise((resolve) => manager!.once('failed', resolve))
    await expect(manager.start()).rejects.toMatchObject({ code: 'SVC_ERR_EXITED_DURING_START' })
    await expect(failed).resolves.toMatchObject({ service: 'quitter', why: expect.stringContaining('maxRestarts 2') })
    expect(manager.service('quitter')).toMatchObject({ display: 'failed', restarts: 2 })
    expect(manager.timeline('quitter').map((c) => c.to)).toEqual(['starting', 'closed', 'starting', 'closed', 'starting', 'closed'])
  })

  test('a start that throws in its own code is reported at once, not retried: it would throw again', async () => {
    manager = fixtureManager({ broken: { entry: './throws-in-factory.ts', restart: { ...fast, maxRestarts: 2 } } })
    await expect(manager.start()).rejects.toMatchObject({ code: 'SVC_ERR_START_FAILED' })
    expect(manager.service('broken')).toMatchObject({ display: 'crashed', restarts: 0 })
  })
})

describe('failed services started again', () => {
  test('a service that failed for good and is started by hand gets a fresh restart history', async () => {
    const once = { backoff: { initialMs: 0, jitter: 0 }, maxRestarts: 1, windowMs: 60_000 }
    manager = fixtureManager({ s: { entry: './echo.ts', restart: once } })
    await manager.start()
    const failed = new Promise((r) => manager!.once('failed', r))
    const restarted = runningAgain(manager, 's')
    await manager.call('s', 'exit', 1) // one restart is allowed
    await restarted
    await manager.call('s', 'exit', 1) // the second gives up
    await failed
    expect(manager.service('s').display).toBe('failed')

    await manager.start(['s'])
    const again = runningAgain(manager, 's')
    await manager.call('s', 'exit', 1) // counted from zero: restarted, not given up at once
    await again
    expect(manager.state('s')).toBe('running')
  })

  test('resetFailed clears the failed state without starting the service', async () => {
    manager = fixtureManager({ s: { entry: './echo.ts', restart: { maxRestarts: 0, windowMs: 60_000 } } })
    await manager.start()
    const failed = new Promise((r) => manager!.once('failed', r))
    await manager.call('s', 'exit', 1)
    await failed
    manager.resetFailed('s')
    expect(manager.service('s').display).toBe('crashed') // as it ended; no longer 'failed'
  })
})

describe("waiting for a fault's consequences", () => {
  test('await kill() resolves once the cascade has brought the dependents back, so the next call works', async () => {
    manager = fixtureManager({
      store: { entry: './echo.ts', restart: fast },
      api: { entry: './echo.ts', dependsOn: ['store'], config: { next: 'store' } },
    })
    await manager.start()
    await manager.kill('store', 'SIGKILL')
    expect(transitions(manager.timeline('api'))).toEqual(['api:starting', 'api:running', 'api:closing', 'api:closed', 'api:starting', 'api:running'])
    await expect(manager.call('api', 'chain', 'x')).resolves.toBe('api>store:x')
  })

  test('await kill() waits out a restart backoff too', async () => {
    manager = fixtureManager({ s: { entry: './echo.ts', restart: { backoff: { initialMs: 300, jitter: 0 } } } })
    await manager.start()
    await manager.kill('s')
    expect(manager.state('s')).toBe('running')
    expect(manager.service('s').restarts).toBe(1)
  })

  test('kill() with a signal the service survives rejects with SVC_ERR_WAIT_TIMEOUT instead of hanging', async () => {
    manager = fixtureManager({ stubborn: { entry: './stubborn.ts' } })
    await manager.start()
    await expect(manager.kill('stubborn', 'SIGTERM', 300)).rejects.toMatchObject({ code: 'SVC_ERR_WAIT_TIMEOUT' })
    expect(manager.state('stubborn')).toBe('running')
    await manager.kill('stubborn', 'SIGKILL') // restarted by its policy (on-failure)
    await expect(manager.settled()).resolves.toBeUndefined()
  })
})
