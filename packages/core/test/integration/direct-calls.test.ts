import { afterEach, describe, expect, test } from '@jest/globals'
import { existsSync } from 'node:fs'
import type { ServicesManager } from '../../src/index.js'
import { fixtureManager, runningAgain } from './harness.js'

let manager: ServicesManager | undefined
afterEach(async () => {
  await manager?.close()
  manager = undefined
})

const relayed = (name: string) => manager!.service(name).calls.count

describe('direct service→service calls (direct: true)', () => {
  test('after the first call or two, calls skip the manager; results and errors are the same', async () => {
    manager = fixtureManager({ target: { entry: './direct-target.mjs', direct: true }, caller: { entry: './direct-caller.mjs', dependsOn: ['target'] } })
    await manager.start()
    await expect(manager.call('caller', 'run', 300)).resolves.toBe(true)
    // The manager only relayed the calls made while the channel opened.
    expect(relayed('target')).toBeLessThan(20)
    const before = relayed('target')
    await expect(manager.call('caller', 'run', 2000, 64)).resolves.toBe(true)
    expect(relayed('target')).toBe(before)
    await expect(manager.call('caller', 'failing')).resolves.toBe('E_FIXTURE: refused on purpose')
    await expect(manager.call('caller', 'timesOut')).resolves.toBe('SVC_ERR_CALL_TIMEOUT')
  })

  test('without direct: true every call is relayed', async () => {
    manager = fixtureManager({ target: { entry: './direct-target.mjs' }, caller: { entry: './direct-caller.mjs', dependsOn: ['target'] } })
    await manager.start()
    await expect(manager.call('caller', 'run', 100)).resolves.toBe(true)
    expect(relayed('target')).toBe(100)
  })

  test('a target that dies fails the direct calls waiting on it at once; once it runs again, calls go direct again', async () => {
    // permissions.calls without dependsOn: the caller is not closed by the crash cascade, so its channel is what breaks.
    manager = fixtureManager({
      target: { entry: './direct-target.mjs', direct: true, restart: { backoff: { initialMs: 0, jitter: 0 } } },
      caller: { entry: './direct-caller.mjs', permissions: { calls: ['target'] } },
    })
    await manager.start()
    await manager.call('caller', 'run', 50)
    const slowStarted = new Promise<void>((resolve) => manager!.on('log', (l) => l.service === 'target' && l.line.includes('slow call started') && resolve()))
    const outcome = manager.call('caller', 'slowCall', 20_000)
    await slowStarted
    const t0 = Date.now()
    // Not waitFor('running'): the broken socket can fail the call before the manager has even seen the exit.
    const restarted = runningAgain(manager, 'target')
    manager.kill('target', 'SIGKILL')
    await expect(outcome).resolves.toBe('SVC_ERR_SERVICE_CLOSED')
    expect(Date.now() - t0).toBeLessThan(5_000)
    await restarted
    // Calls made while the new channel opens are relayed (or refused while the target restarts); later ones go direct.
    await expect(manager.call('caller', 'run', 300)).resolves.toBe(true)
    const before = relayed('target')
    await expect(manager.call('caller', 'run', 300)).resolves.toBe(true)
    expect(relayed('target')).toBe(before)
  })

  test('the socket file is removed when the target closes, and when it is killed', async () => {
    manager = fixtureManager({ target: { entry: './direct-target.mjs', direct: true, restart: 'never' }, caller: { entry: './direct-caller.mjs', dependsOn: ['target'] } })
    await manager.start()
    const closedPath = manager.service('target').directSocket!
    expect(existsSync(closedPath)).toBe(true)
    await manager.close(['target'])
    expect(existsSync(closedPath)).toBe(false)

    await manager.start()
    const killedPath = manager.service('target').directSocket!
    expect(killedPath).not.toBe(closedPath) // a fresh socket and key for every start
    manager.kill('target', 'SIGKILL')
    await manager.waitFor('target', 'closed')
    await manager.close()
    expect(existsSync(killedPath)).toBe(false)
  })
})
