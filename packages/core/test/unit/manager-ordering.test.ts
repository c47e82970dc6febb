import { afterEach, describe, expect, test } from '@jest/globals'
import { defineService } from '../../src/remote/index.js'
import type { ServicesManager } from '../../src/index.js'
import { before, deferred, memoryManager, transitions } from './memory-harness.js'

const idle = defineService(async () => ({ ping: () => 'pong' }))
let manager: ServicesManager | undefined
afterEach(async () => {
  await manager?.close()
  manager = undefined
})

describe('start and close ordering', () => {
  test('a dependency runs before its dependent starts; close runs dependents first', async () => {
    manager = memoryManager({
      c: { module: idle, dependsOn: ['a'] },
      a: { module: idle, dependsOn: ['b'] },
      b: { module: idle },
    })
    await manager.start()
    const up = transitions(manager.timeline())
    expect(before(up, 'b:running', 'a:starting')).toBe(true)
    expect(before(up, 'a:running', 'c:starting')).toBe(true)
    await manager.close()
    const all = transitions(manager.timeline())
    expect(before(all, 'c:closed', 'a:closing')).toBe(true)
    expect(before(all, 'a:closed', 'b:closing')).toBe(true)
    expect(manager.services().map((s) => s.state)).toEqual(['closed', 'closed', 'closed'])
  })

  test('independent services start concurrently', async () => {
    // Each factory waits until both have been entered: a sequential start would time out.
    const entered = { x: deferred(), y: deferred() }
    const both = Promise.all([entered.x.promise, entered.y.promise])
    const gated = (name: 'x' | 'y') =>
      defineService(async () => {
        entered[name].resolve()
        await both
        return {}
      })
    manager = memoryManager({ x: { module: gated('x'), startTimeoutMs: 2000 }, y: { module: gated('y'), startTimeoutMs: 2000 } })
    await manager.start()
    expect(manager.state('x')).toBe('running')
    expect(manager.state('y')).toBe('running')
  })

  test('start(names) starts only those and their dependencies', async () => {
    manager = memoryManager({ a: { module: idle, dependsOn: ['b'] }, b: { module: idle }, other: { module: idle } })
    await manager.start(['a'])
    expect(manager.services().map((s) => [s.name, s.state])).toEqual([
      ['a', 'running'],
      ['b', 'running'],
      ['other', 'closed'],
    ])
  })

  test('close(names) closes dependents first and leaves the rest running', async () => {
    manager = memoryManager({ a: { module: idle, dependsOn: ['b'] }, b: { module: idle }, other: { module: idle } })
    await manager.start()
    await manager.close(['b'])
    expect(before(transitions(manager.timeline()), 'a:closed', 'b:closing')).toBe(true)
    expect(manager.state('other')).toBe('running')
    expect(manager.service('b').display).toBe('stopped')
  })

  test('a service is reachable only once running', async () => {
    const release = deferred()
    const slow = defineService(async () => {
      await release.promise
      return { ping: () => 'pong' }
    })
    manager = memoryManager({ slow: { module: slow }, after: { module: idle, dependsOn: ['slow'] } })
    const started = manager.start()
    await manager.waitFor('slow', 'starting')
    expect(manager.service('after').display).toBe('pending') // asked to start, waiting for "slow"
    await expect(manager.call('after', 'ping')).rejects.toMatchObject({ code: 'SVC_ERR_SERVICE_NOT_RUNNING' })
    await expect(manager.call('slow', 'ping')).rejects.toMatchObject({ code: 'SVC_ERR_SERVICE_NOT_RUNNING' })
    release.resolve()
    await started
    await expect(manager.call('slow', 'ping')).resolves.toBe('pong')
  })

  test('a start asked for while a close runs waits for it, then starts: neither waits for the other', async () => {
    manager = memoryManager({ a: { module: idle, dependsOn: ['b'] }, b: { module: idle } })
    await manager.start()
    const closing = manager.close(['b']) // closes a first: b's own close is still to come when start() is asked
    const starting = manager.start(['b'])
    await Promise.all([closing, starting])
    expect(manager.state('b')).toBe('running')
    expect(transitions(manager.timeline('b')).slice(-4)).toEqual(['b:closing', 'b:closed', 'b:starting', 'b:running'])
  })

  test('closing a service while it starts cancels the start cleanly', async () => {
    const never = defineService(() => new Promise<object>(() => {}))
    manager = memoryManager({ stuck: { module: never }, dependent: { module: idle, dependsOn: ['stuck'] } })
    const started = manager.start()
    await manager.waitFor('stuck', 'starting')
    await manager.close(['stuck'])
    await expect(started).rejects.toMatchObject({ code: expect.stringMatching(/SVC_ERR_START_ABORTED|SVC_ERR_DEPENDENCY_FAILED/) })
    expect(manager.state('stuck')).toBe('closed')
    expect(manager.state('dependent')).toBe('closed')
  })
})
