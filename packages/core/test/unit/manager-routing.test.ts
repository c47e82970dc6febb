import { afterEach, describe, expect, test } from '@jest/globals'
import { defineService } from '../../src/remote/index.js'
import type { ServiceContext } from '../../src/remote/index.js'
import type { ServicesManager } from '../../src/index.js'
import { deferred, memoryManager } from './memory-harness.js'

const b = defineService(async (ctx) => ({
  chain: (x: string) => `b(${x})`,
  fail: () => {
    throw Object.assign(new Error('b refused'), { code: 'B_REFUSED' })
  },
  big: () => BigInt(1),
  whoami: () => ctx.name,
}))
let capturedCtx: ServiceContext | undefined
const a = defineService(async (ctx) => {
  capturedCtx = ctx
  const dep = ctx.service<typeof b>('b')
  return {
    chain: async (x: string) => `a(${await dep.chain(x)})`,
    failThrough: () => dep.fail(),
    sneaky: () => ctx.call('c', 'chain', ['x']),
    badArg: () => ctx.call('b', 'chain', [BigInt(1)]),
    bigResult: () => dep.big(),
  }
})
const c = defineService(async () => ({ chain: (x: string) => `c(${x})` }))

let manager: ServicesManager | undefined
afterEach(async () => {
  await manager?.close()
  manager = undefined
})

describe('calls between services', () => {
  test('a typed call chain crosses two services', async () => {
    manager = memoryManager({ a: { module: a, dependsOn: ['b'] }, b: { module: b }, c: { module: c } })
    await manager.start()
    await expect(manager.call('a', 'chain', 'x')).resolves.toBe('a(b(x))')
    expect(manager.service('b').calls.count).toBe(1)
  })

  test('errors cross the boundary as real Errors with their code and the remote stack', async () => {
    manager = memoryManager({ a: { module: a, dependsOn: ['b'] }, b: { module: b } })
    await manager.start()
    const error = (await manager.call('a', 'failThrough').catch((e) => e)) as Error & { code: string }
    expect(error).toBeInstanceOf(Error)
    expect(error.code).toBe('B_REFUSED')
    expect(error.message).toBe('b refused')
    expect(error.stack).toContain('b refused')
  })

  test('a service may only call what it declared; the error names both', async () => {
    manager = memoryManager({ a: { module: a, dependsOn: ['b'] }, b: { module: b }, c: { module: c } })
    await manager.start()
    const error = (await manager.call('a', 'sneaky').catch((e) => e)) as Error & { code: string }
    expect(error.code).toBe('SVC_ERR_ACCESS_DENIED')
    expect(error.message).toContain('"a"')
    expect(error.message).toContain('"c"')
    expect(() => capturedCtx!.service('c')).toThrow(/may not use "c"/)
  })

  test('unknown methods and non-serialisable values give coded errors; the services stay up', async () => {
    manager = memoryManager({ a: { module: a, dependsOn: ['b'] }, b: { module: b } })
    await manager.start()
    await expect(manager.call('b', 'nope')).rejects.toMatchObject({ code: 'SVC_ERR_UNKNOWN_METHOD' })
    await expect(manager.call('b', 'toString')).rejects.toMatchObject({ code: 'SVC_ERR_UNKNOWN_METHOD' })
    await expect(manager.call('a', 'badArg')).rejects.toMatchObject({ code: 'SVC_ERR_NOT_SERIALIZABLE' })
    await expect(manager.call('a', 'bigResult')).rejects.toMatchObject({ code: 'SVC_ERR_NOT_SERIALIZABLE' })
    await expect(manager.call('ghost', 'x')).rejects.toMatchObject({ code: 'SVC_ERR_UNKNOWN_SERVICE' })
    expect(manager.state('a')).toBe('running')
    expect(manager.state('b')).toBe('running')
  })

  test('calls time out with a coded error naming the method', async () => {
    const hang = defineService(async () => ({ hang: () => new Promise(() => {}) }))
    const caller = defineService(async (ctx) => ({ go: () => ctx.call('hang', 'hang', [], { timeoutMs: 50 }) }))
    manager = memoryManager({ hang: { module: hang }, caller: { module: caller, dependsOn: ['hang'] } })
    await manager.start()
    const error = (await manager.call('caller', 'go').catch((e) => e)) as Error & { code: string }
    expect(error.code).toBe('SVC_ERR_CALL_TIMEOUT')
    expect(error.message).toContain('hang.hang')
  })
})

describe('events between services', () => {
  test('a subscriber receives events from a dependency; an undeclared subscription is refused', async () => {
    const got = deferred<unknown>()
    const source = defineService(async (ctx) => ({ fire: (n: number) => ctx.emit('tick', { n }) }))
    const listener = defineService(async (ctx) => {
      ctx.on('source', 'tick', (payload) => got.resolve(payload))
      return {}
    })
    const outsider = defineService(async (ctx) => {
      let refused = ''
      try {
        ctx.on('source', 'tick', () => {})
      } catch (error) {
        refused = (error as { code: string }).code
      }
      return { refused: () => refused }
    })
    manager = memoryManager({
      source: { module: source },
      listener: { module: listener, dependsOn: ['source'] },
      outsider: { module: outsider },
    })
    await manager.start()
    await manager.call('source', 'fire', 7)
    await expect(got.promise).resolves.toEqual({ n: 7 })
    await expect(manager.call('outsider', 'refused')).resolves.toBe('SVC_ERR_ACCESS_DENIED')
  })
})

describe('when a service is reachable', () => {
  test('events reach a subscriber from the moment it subscribes, while it is still starting; calls wait until it runs', async () => {
    const source = defineService(async (ctx) => {
      const timer = setInterval(() => ctx.emit('tick', 'now'), 5)
      ctx.onClose(() => clearInterval(timer))
      return {}
    })
    // Its start waits for an event: it can only finish if events are delivered to a service that is starting.
    const listener = defineService(async (ctx) => {
      const first = await new Promise((resolve) => ctx.on('source', 'tick', resolve))
      return { first: () => first }
    })
    manager = memoryManager({ source: { module: source }, listener: { module: listener, dependsOn: ['source'] } })
    const starting = manager.start()
    await manager.waitFor('listener', 'starting')
    await expect(manager.call('listener', 'first')).rejects.toMatchObject({ code: 'SVC_ERR_SERVICE_NOT_RUNNING' })
    await starting
    await expect(manager.call('listener', 'first')).resolves.toBe('now')
  })
})

describe('bad service code never takes the manager down', () => {
  test('a factory that rejects fails its start with the cause; other services run', async () => {
    const broken = defineService(async () => {
      throw new Error('cannot open database')
    })
    manager = memoryManager({ broken: { module: broken }, fine: { module: c } })
    const error = (await manager.start().catch((e) => e)) as Error & { code: string }
    expect(error.code).toBe('SVC_ERR_START_FAILED')
    expect(error.message).toContain('cannot open database')
    expect(manager.state('fine')).toBe('running')
    expect(manager.service('broken').display).toBe('crashed')
  })

  test('a factory that never resolves hits the start timeout', async () => {
    const never = defineService(() => new Promise<object>(() => {}))
    manager = memoryManager({ never: { module: never, startTimeoutMs: 100, restart: 'never' } })
    await expect(manager.start()).rejects.toMatchObject({ code: 'SVC_ERR_START_TIMEOUT', service: 'never' })
  })

  test('a module that is not a service is refused with a hint', async () => {
    manager = memoryManager({ junk: { module: { default: 42 } } })
    const error = (await manager.start().catch((e) => e)) as Error & { details?: { causeCode?: string } }
    expect(error.details?.causeCode).toBe('SVC_ERR_NOT_A_SERVICE')
    expect(error.message).toContain('defineService')
  })

  test('dependents of a service that failed to start are not started', async () => {
    const broken = defineService(async () => {
      throw new Error('nope')
    })
    manager = memoryManager({ broken: { module: broken }, 'needs-it': { module: c, dependsOn: ['broken'] } })
    await expect(manager.start()).rejects.toBeDefined()
    expect(manager.state('needs-it')).toBe('closed')
  })
})
