// Replicas: calls balanced over instances, an instance's crash contained to itself, scale and reload under load.
import { afterEach, describe, expect, test } from '@jest/globals'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Manifest, ServicesManager } from '../../src/index.js'
import type { InstanceChange } from '../../src/manager/events.js'
import { fixtureManager, isAlive, transitions, until } from './harness.js'

const fast = { backoff: { initialMs: 10, maxMs: 50, jitter: 0 } }
let manager: ServicesManager | undefined
afterEach(async () => {
  await manager?.close()
  manager = undefined
})

const tempDir = () => mkdtempSync(join(tmpdir(), 'svc-instances-'))
type Who = { instance: string; pid: number }

/** Calls `service.method` from `concurrency` loops until stopped; counts what came back and keeps every failure. */
function load(m: ServicesManager, service: string, method: string, concurrency: number) {
  const failures: unknown[] = []
  const byInstance = new Map<string, number>()
  let ok = 0
  let running = true
  const loops = Array.from({ length: concurrency }, async () => {
    while (running) {
      try {
        const who = (await m.call(service, method)) as Who
        ok++
        byInstance.set(who.instance, (byInstance.get(who.instance) ?? 0) + 1)
      } catch (error) {
        failures.push(error)
      }
    }
  })
  return {
    failures,
    byInstance,
    get ok() {
      return ok
    },
    /** Resolves once `n` more calls have come back. */
    async more(n: number) {
      const target = ok + n
      await until(() => ok >= target || failures.length > 0, 20_000, `${n} more calls`)
    },
    async stop() {
      running = false
      await Promise.all(loops)
    },
  }
}

describe('instances', () => {
  test('calls are balanced over 3 instances, each with its own SVC_INSTANCE; ps shows each', async () => {
    manager = fixtureManager({ api: { entry: './replica.ts', instances: 3 }, rr: { entry: './replica.ts', instances: 2, balance: 'round-robin' } })
    await manager.start()
    const seen = new Map<string, number>()
    for (let i = 0; i < 30; i++) {
      const { instance } = (await manager.call('api', 'who')) as Who
      seen.set(instance, (seen.get(instance) ?? 0) + 1)
    }
    // One call at a time: every instance is idle at each call, and ties go to each in turn.
    expect(Object.fromEntries(seen)).toEqual({ 0: 10, 1: 10, 2: 10 })
    const rr = await Promise.all(Array.from({ length: 10 }, () => manager!.call('rr', 'who') as Promise<Who>))
    expect(rr.map((w) => w.instance)).toEqual(['0', '1', '0', '1', '0', '1', '0', '1', '0', '1'])
    const snapshot = manager.service('api')
    expect(snapshot).toMatchObject({ state: 'running', desiredInstances: 3 })
    expect(snapshot.instances.map((i) => [i.id, i.state])).toEqual([['api#0', 'running'], ['api#1', 'running'], ['api#2', 'running']])
    expect(new Set(snapshot.instances.map((i) => i.pid)).size).toBe(3)
    expect(snapshot.pid).toBe(snapshot.instances[0]!.pid)
  })

  test('with several calls in flight, least-inflight sends each to the least busy instance', async () => {
    const dir = tempDir()
    manager = fixtureManager({ api: { entry: './replica.ts', instances: 3 } })
    await manager.start()
    const release = join(dir, 'release')
    const held = Array.from({ length: 9 }, () => manager!.call('api', 'held', release) as Promise<Who>)
    await until(() => manager!.service('api').instances.every((i) => i.inFlight === 3), 5000, 'three calls on each instance')
    writeFileSync(release, '')
    const answers = await Promise.all(held)
    expect(answers.filter((w) => w.instance === '1')).toHaveLength(3)
    expect(manager.service('api').instances.map((i) => i.inFlight)).toEqual([0, 0, 0])
  })

  test('SIGKILL of one instance under load: only its calls in flight fail, coded; it restarts alone; dependents never notice', async () => {
    const dir = tempDir()
    manager = fixtureManager({
      api: { entry: './replica.ts', instances: 3, restart: fast },
      front: { entry: './replica.ts', dependsOn: ['api'], config: { next: 'api' } },
    })
    await manager.start()
    const mark = manager.timeline().length
    const release = join(dir, 'release')
    const held = Array.from({ length: 9 }, () => (manager!.call('api', 'held', release) as Promise<Who>).then((w) => w, (e: { code: string }) => e.code))
    await until(() => manager!.service('api').instances.every((i) => i.inFlight === 3), 5000, 'three calls on each instance')
    const victim = manager.service('api').instances[1]!
    const changes: InstanceChange[] = []
    manager.on('instance', (c) => changes.push(c))
    const crashed = new Promise((resolve) => manager!.once('instanceCrash', resolve))
    const relays: Promise<unknown>[] = []
    manager.once('instanceCrash', () => {
      // Relayed calls from a dependent keep working while api#1 is down.
      for (let i = 0; i < 6; i++) relays.push(manager!.call('front', 'relay'))
    })
    await manager.kill('api#1') // resolves once the graph has settled: api#1 is back
    await crashed
    expect(manager.service('api').instances.map((i) => i.state)).toEqual(['running', 'running', 'running'])
    expect((await Promise.all(relays)).map((w) => (w as Who).instance)).not.toContain(undefined)
    writeFileSync(release, '')
    const outcomes = await Promise.all(held)
    expect(outcomes.filter((o) => o === 'SVC_ERR_SERVICE_CLOSED')).toHaveLength(3)
    expect(outcomes.filter((o) => typeof o === 'object')).toHaveLength(6)
    expect(transitions(manager.timeline().slice(mark))).toEqual([]) // neither api nor front changed state
    expect(changes.filter((c) => c.instance === 'api#1').map((c) => c.to)).toEqual(['closed', 'starting', 'running'])
    expect(isAlive(victim.pid!)).toBe(false)
    const after = manager.service('api')
    expect(after.instances[1]).toMatchObject({ state: 'running', restarts: 1 })
    expect(after.instances[1]!.pid).not.toBe(victim.pid)
    expect(after.restarts).toBe(1)
  })

  test('retry, opted into per call or per dependency, sends a call whose instance died to another one', async () => {
    const dir = tempDir()
    manager = fixtureManager({
      api: { entry: './replica.ts', instances: 2, restart: fast },
      plain: { entry: './replica.ts', dependsOn: ['api'], config: { next: 'api' } },
      edge: { entry: './replica.ts', dependsOn: ['api'], config: { next: 'api' }, retry: { api: { attempts: 1, methods: ['held'] } } },
    })
    await manager.start()
    const release = join(dir, 'release')
    // One at a time: with both instances equally busy, each call goes to the other one in turn (api#0 first).
    const calls: Promise<unknown>[] = []
    const inFlight = () => manager!.service('api').instances.reduce((sum, i) => sum + i.inFlight, 0)
    for (const [caller, retry] of [['plain'], ['plain'], ['plain', 2], ['plain', 2], ['edge'], ['edge']] as const) {
      calls.push(manager.call(caller, 'relayHeld', release, ...(retry === undefined ? [] : [retry])))
      const expected = calls.length
      await until(() => inFlight() === expected, 5000, `call ${expected} in flight`)
    }
    expect(manager.service('api').instances.map((i) => i.inFlight)).toEqual([3, 3])
    await manager.kill('api#0')
    writeFileSync(release, '')
    const [plain0, plain1, option0, option1, edge0, edge1] = await Promise.all(calls)
    // Without retry, the call on api#0 failed, coded; with it, each was answered (by api#1, or api#0 back).
    expect(plain0).toBe('SVC_ERR_SERVICE_CLOSED')
    expect(plain1).toMatchObject({ instance: '1' })
    for (const answered of [option0, option1, edge0, edge1]) expect(answered).toMatchObject({ pid: expect.any(Number) })
  })

  test('SIGKILL of every instance is the service going down: the cascade of a crash, as with one', async () => {
    manager = fixtureManager({
      api: { entry: './replica.ts', instances: 2, restart: fast },
      front: { entry: './replica.ts', dependsOn: ['api'], config: { next: 'api' } },
    })
    await manager.start()
    const mark = manager.timeline().length
    await manager.kill('api')
    expect(transitions(manager.timeline().slice(mark))).toEqual([
      'api:closed', 'front:closing', 'front:closed', 'api:starting', 'api:running', 'front:starting', 'front:running',
    ])
    expect(manager.service('api').instances.map((i) => i.state)).toEqual(['running', 'running'])
    await expect(manager.call('front', 'relay')).resolves.toMatchObject({ pid: expect.any(Number) })
  })

  test('scale up and down under load loses no call; the surplus instances close, highest first', async () => {
    manager = fixtureManager({ api: { entry: './replica.ts' } })
    await manager.start()
    const calls = load(manager, 'api', 'who', 16)
    await calls.more(50)
    await manager.scale('api', 3)
    expect(manager.service('api').instances.map((i) => i.id)).toEqual(['api#0', 'api#1', 'api#2'])
    await calls.more(300)
    const removed = manager.service('api').instances.slice(1).map((i) => i.pid!)
    await manager.scale('api', 1)
    await calls.more(100)
    await calls.stop()
    expect(calls.failures).toEqual([])
    expect([...calls.byInstance.keys()].sort()).toEqual(['0', '1', '2'])
    expect(manager.service('api').instances.map((i) => i.id)).toEqual(['api#0'])
    expect(removed.some(isAlive)).toBe(false)
    await expect(manager.scale('api', 0)).rejects.toMatchObject({ code: 'SVC_ERR_BAD_INSTANCES', service: 'api' })
    await manager.close(['api'])
    await manager.scale('api', 2) // applies at its next start
    await manager.start(['api'])
    expect(manager.service('api').instances).toHaveLength(2)
  })

  test('reload of a single-instance service under 128 calls in flight: no call fails, no dependent moves', async () => {
    manager = fixtureManager({
      api: { entry: './replica.ts' },
      front: { entry: './replica.ts', dependsOn: ['api'], config: { next: 'api' } },
    })
    await manager.start()
    const mark = manager.timeline().length
    const before = manager.service('api').pid!
    const calls = load(manager, 'front', 'relay', 128)
    await calls.more(500)
    await manager.reload('api')
    await calls.more(500)
    await calls.stop()
    expect(calls.failures).toEqual([])
    expect(manager.service('api').pid).not.toBe(before)
    expect(isAlive(before)).toBe(false)
    expect(transitions(manager.timeline().slice(mark))).toEqual([])
  })

  test('reload of the whole graph, in dependency order, under load: no call fails', async () => {
    manager = fixtureManager({
      api: { entry: './replica.ts', instances: 2 },
      front: { entry: './replica.ts', dependsOn: ['api'], config: { next: 'api' } },
    })
    await manager.start()
    const pids = () => manager!.services().flatMap((s) => s.instances.map((i) => i.pid))
    const before = pids()
    const order: string[] = []
    manager.on('instance', (c) => c.to === 'running' && order.push(c.instance))
    const calls = load(manager, 'front', 'relay', 128)
    await calls.more(300)
    await manager.reload()
    await calls.more(300)
    await calls.stop()
    expect(calls.failures).toEqual([])
    expect(order).toEqual(['api#0', 'api#1', 'front#0'])
    expect(pids().filter((pid) => before.includes(pid))).toEqual([])
  })

  test('a replacement that fails to start aborts the reload; the old instance keeps serving', async () => {
    const dir = tempDir()
    const refuse = join(dir, 'refuse')
    manager = fixtureManager({ api: { entry: './replica.ts', instances: 2, config: { refuseStartIf: refuse } } })
    await manager.start()
    const before = manager.service('api').instances.map((i) => i.pid)
    writeFileSync(refuse, '')
    await expect(manager.reload('api')).rejects.toMatchObject({ code: 'SVC_ERR_RELOAD_FAILED', service: 'api' })
    expect(manager.service('api')).toMatchObject({ state: 'running' })
    expect(manager.service('api').instances.map((i) => i.pid)).toEqual(before)
    await expect(manager.call('api', 'who')).resolves.toMatchObject({ pid: expect.any(Number) })
    await expect(manager.reload('nope')).rejects.toMatchObject({ code: 'SVC_ERR_UNKNOWN_SERVICE' })
  })

  test('hostile replacements and callers: one that never gets ready, and calls that never end, bound a reload', async () => {
    const dir = tempDir()
    const hang = join(dir, 'hang')
    manager = fixtureManager({ api: { entry: './replica.ts', startTimeoutMs: 300, drainTimeoutMs: 200, config: { hangStartIf: hang } } })
    await manager.start()
    const before = manager.service('api').pid
    writeFileSync(hang, '')
    await expect(manager.reload('api')).rejects.toMatchObject({ code: 'SVC_ERR_RELOAD_FAILED', message: expect.stringContaining('300 ms') })
    expect(manager.service('api').instances.map((i) => [i.pid, i.state])).toEqual([[before, 'running']])
    rmSync(hang)
    // A call that never ends holds the old instance no longer than drainTimeoutMs, then fails, coded.
    const stuck = manager.call('api', 'held', join(dir, 'never')).catch((e: { code: string }) => e.code)
    await until(() => manager!.service('api').instances[0]!.inFlight === 1, 5000, 'the call in flight')
    await manager.reload('api')
    expect(await stuck).toBe('SVC_ERR_SERVICE_CLOSED')
    expect(manager.service('api').pid).not.toBe(before)
    await expect(manager.scale('api', 100_000)).rejects.toMatchObject({ code: 'SVC_ERR_BAD_INSTANCES' })
    await expect(manager.scale('api', 1.5)).rejects.toMatchObject({ code: 'SVC_ERR_BAD_INSTANCES' })
  })

  test('events of every instance reach each subscribing service once, whatever its instance count', async () => {
    const dir = tempDir()
    const log = join(dir, 'events')
    writeFileSync(log, '')
    manager = fixtureManager({
      source: { entry: './replica.ts', instances: 2 },
      sink: { entry: './replica.ts', instances: 2, dependsOn: ['source'], config: { listen: { source: 'source', events: ['tick'], log } } },
    })
    await manager.start()
    // Both source instances emit (balanced calls reach each in turn).
    await Promise.all([manager.call('source', 'emit', 'tick', 50), manager.call('source', 'emit', 'tick', 50)])
    await until(() => readFileSync(log, 'utf8').split('\n').filter(Boolean).length >= 100, 10_000, '100 events')
    await manager.call('source', 'who') // anything still on its way arrives before this answer's
    const lines = readFileSync(log, 'utf8').split('\n').filter(Boolean)
    const payloads = lines.map((l) => l.slice(l.indexOf(':') + 1))
    expect(payloads).toHaveLength(100)
    expect(new Set(payloads).size).toBe(100)
    expect(new Set(payloads.map((p) => p.split('-')[0]))).toEqual(new Set(['0', '1']))
  })

  test('direct: true balances too: each instance has its own socket, and a reload under direct calls loses none', async () => {
    manager = fixtureManager({
      api: { entry: './replica.ts', instances: 2, direct: true },
      front: { entry: './replica.ts', dependsOn: ['api'], config: { next: 'api' } },
    })
    await manager.start()
    type Many = { byInstance: Record<string, number>; failures: string[] }
    const first = (await manager.call('front', 'callMany', 'api', 2000, 8)) as Many
    expect(first.failures).toEqual([])
    expect(first.byInstance['0']).toBeGreaterThan(500)
    expect(first.byInstance['1']).toBeGreaterThan(500)
    const relayed = manager.service('api').calls.count
    expect(relayed).toBeLessThan(200) // the first calls, while the sockets open; the rest went direct
    const during = manager.call('front', 'callMany', 'api', 20_000, 16) as Promise<Many>
    await manager.reload('api')
    const result = await during
    expect(result.failures).toEqual([])
    const after = (await manager.call('front', 'callMany', 'api', 2000, 8)) as Many
    expect(after.failures).toEqual([])
    expect(Object.keys(after.byInstance).sort()).toEqual(['0', '1'])
  })

  test('a method health check runs on each instance: the sick one is replaced alone, by a reload; the service stays up', async () => {
    manager = fixtureManager({
      api: { entry: './replica.ts', instances: 2, health: { method: 'check', intervalMs: 30, timeoutMs: 100, failureThreshold: 2 } },
      front: { entry: './replica.ts', dependsOn: ['api'], config: { next: 'api' } },
    })
    await manager.start()
    const mark = manager.timeline().length
    const before = manager.service('api').instances.map((i) => i.pid)
    const sick = Number(await manager.call('api', 'makeSick'))
    const notice = new Promise<string>((resolve) => manager!.on('notice', (n) => n.message.includes('unhealthy') && resolve(n.message)))
    expect(await notice).toContain(`api#${sick} unhealthy`)
    await until(() => manager!.service('api').instances.length === 2 && manager!.service('api').instances[sick]!.pid !== before[sick], 10_000, 'the sick instance replaced')
    await manager.settled()
    const after = manager.service('api').instances.map((i) => i.pid)
    expect(after[1 - sick]).toBe(before[1 - sick]) // the healthy one was left alone
    expect(transitions(manager.timeline().slice(mark))).toEqual([])
    expect(manager.service('api').instances.map((i) => i.state)).toEqual(['running', 'running'])
  })

  test('a command service gets SVC_INSTANCE per instance', async () => {
    manager = fixtureManager({ worker: { command: ['sh', '-c', 'echo "instance $SVC_INSTANCE"; exec sleep 1000'], instances: 2 } })
    await manager.start()
    await until(() => manager!.logs('worker').length >= 2, 5000, 'both instances to log')
    expect(manager.logs('worker').map((l) => l.line).sort()).toEqual(['instance 0', 'instance 1'])
    expect(new Set(manager.service('worker').instances.map((i) => i.pid)).size).toBe(2)
  })

  test('an instance above limits.memoryMb is replaced by a reload; the service never goes down', async () => {
    manager = fixtureManager({ api: { entry: './replica.ts', instances: 2, limits: { memoryMb: 150 } } }, { usageIntervalMs: 50 })
    await manager.start()
    const mark = manager.timeline().length
    const hog = (await manager.call('api', 'who')) as Who
    const over = new Promise<{ instance: string }>((resolve) => manager!.once('overLimit', resolve))
    const replaced = new Promise<void>((resolve) => manager!.on('instance', (c) => c.instance === `api#${hog.instance}` && c.to === 'closed' && resolve()))
    // The same instance again: one call at a time goes to each in turn.
    await manager.call('api', 'who')
    await manager.call('api', 'grow', 200)
    expect((await over).instance).toBe(`api#${hog.instance}`)
    const hogPid = manager.service('api').instances[Number(hog.instance)]!.pid!
    await replaced
    expect(isAlive(hogPid)).toBe(false)
    await until(() => manager!.service('api').instances.length === 2, 5000, 'the old instance to leave')
    expect(manager.service('api').instances.map((i) => i.pid)).not.toContain(hogPid)
    expect(manager.service('api').instances.map((i) => i.state)).toEqual(['running', 'running'])
    expect(transitions(manager.timeline().slice(mark))).toEqual([])
  })

  test('bad instance settings are refused with the manifest error, naming the field', () => {
    const bad = (services: Manifest['services']) => () => fixtureManager(services)
    for (const [spec, field] of [
      [{ entry: './replica.ts', instances: 0 }, 'instances'],
      [{ entry: './replica.ts', instances: 'two' }, 'instances'],
      [{ entry: './replica.ts', balance: 'random' }, 'balance'],
      [{ entry: './replica.ts', limits: { memoryMb: 'lots' } }, 'limits.memoryMb'],
      [{ entry: './replica.ts', limits: { memoryMB: 100 } }, 'did you mean "memoryMb"'],
      [{ entry: './replica.ts', drainTimeoutMs: -1 }, 'drainTimeoutMs'],
      [{ command: 'true', oneshot: true, instances: 2 }, 'instances'],
      [{ entry: './replica.ts', retry: { nobody: 1 } }, 'retry.nobody'],
      [{ entry: './replica.ts', dependsOn: ['x'], retry: { x: { methods: [] } } }, 'retry.x.attempts'],
    ] as const) {
      expect(bad({ api: spec as never })).toThrow(expect.objectContaining({ code: 'SVC_ERR_MANIFEST_INVALID', message: expect.stringContaining(field) }))
    }
  })
})
