import { afterEach, describe, expect, test } from '@jest/globals'
import { defineService } from '../../src/remote/index.js'
import type { ServicesManager } from '../../src/index.js'
import { before, memoryManager, transitions } from './memory-harness.js'

const idle = defineService(async () => ({ ping: () => 'pong' }))
const fast = { backoff: { initialMs: 1, maxMs: 5, jitter: 0 } }
let manager: ServicesManager | undefined
afterEach(async () => {
  await manager?.close()
  manager = undefined
})

function whenAllRunning(m: ServicesManager, names: string[]): Promise<void> {
  return Promise.all(names.map((n) => m.waitFor(n, 'running'))).then(() => undefined)
}

describe('crash containment (seed 003)', () => {
  test('C→A→B, B crashes: C then A close, B restarts, then A then C start', async () => {
    manager = memoryManager({
      c: { module: idle, dependsOn: ['a'], restart: 'never' },
      a: { module: idle, dependsOn: ['b'], restart: 'never' },
      b: { module: idle, restart: fast },
    })
    await manager.start()
    const mark = manager.timeline().length
    const closedB = manager.waitFor('b', 'closed')
    manager.kill('b')
    await closedB
    await manager.waitFor('c', 'closed')
    await whenAllRunning(manager, ['a', 'b', 'c'])
    await manager.waitFor('c', 'running')
    const after = transitions(manager.timeline().slice(mark))
    expect(after).toEqual([
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
    expect(manager.service('b').restarts).toBe(1)
    expect(manager.service('a').restarts).toBe(0) // restarted by the cascade, not by its own policy
  })

  test('past the restart limit the service is failed, its dependents stay closed, and the manager says why', async () => {
    let starts = 0
    const flaky = defineService(async () => {
      if (++starts > 1) throw new Error('still broken')
      return {}
    })
    manager = memoryManager({
      flaky: { module: flaky, restart: { ...fast, maxRestarts: 2, windowMs: 60_000 } },
      user: { module: idle, dependsOn: ['flaky'] },
    })
    await manager.start()
    const failed = new Promise<{ service: string; why: string }>((resolve) => manager!.once('failed', resolve))
    manager.kill('flaky')
    const failure = await failed
    expect(failure.service).toBe('flaky')
    expect(failure.why).toContain('maxRestarts 2')
    expect(manager.service('flaky').display).toBe('failed')
    expect(manager.state('user')).toBe('closed')
    expect(starts).toBe(3)
  })

  test('a service stopped on purpose is never restarted', async () => {
    manager = memoryManager({ s: { module: idle, restart: { ...fast, policy: 'always' } } })
    await manager.start()
    const restarts: string[] = []
    manager.on('restart', (r) => restarts.push(r.service))
    await manager.close(['s'])
    expect(manager.state('s')).toBe('closed')
    expect(restarts).toEqual([])
    expect(manager.timeline('s').map((c) => c.to)).toEqual(['starting', 'running', 'closing', 'closed'])
  })

  test('a stop during backoff cancels the restart', async () => {
    manager = memoryManager({ s: { module: idle, restart: { backoff: { initialMs: 60_000, jitter: 0 } } } })
    await manager.start()
    const scheduled = new Promise((resolve) => manager!.once('restart', resolve))
    manager.kill('s')
    await scheduled
    expect(manager.service('s').display).toBe('restarting')
    await manager.close(['s'])
    expect(manager.service('s').display).toBe('stopped')
  })

  test('a critical service that fails closes everything and start() callers learn why', async () => {
    manager = memoryManager({
      core: { module: idle, critical: true, restart: 'never' },
      web: { module: idle, dependsOn: ['core'] },
      side: { module: idle },
    })
    await manager.start()
    const fatal = new Promise<{ service: string }>((resolve) => manager!.once('fatal', resolve))
    manager.kill('core')
    expect((await fatal).service).toBe('core')
    await manager.waitFor('side', 'closed')
    expect(manager.services().every((s) => s.state === 'closed')).toBe(true)
    expect(manager.fatalError).toMatchObject({ code: 'SVC_ERR_SERVICE_FAILED' })
    expect(before(transitions(manager.timeline()), 'web:closed', 'core:starting')).toBe(false)
  })

  test('restart(name) closes dependents first and brings them back', async () => {
    manager = memoryManager({ a: { module: idle, dependsOn: ['b'] }, b: { module: idle } })
    await manager.start()
    const mark = manager.timeline().length
    await manager.restart('b')
    expect(transitions(manager.timeline().slice(mark))).toEqual([
      'a:closing',
      'a:closed',
      'b:closing',
      'b:closed',
      'b:starting',
      'b:running',
      'a:starting',
      'a:running',
    ])
  })
})
