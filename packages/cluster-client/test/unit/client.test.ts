// Leader and followers inside one process (followers still talk to the leader over real loopback TCP).

import { afterEach, beforeEach, describe, expect, test } from '@jest/globals'
import { CORE } from '../../src/client.js'
import { backoffDelay } from '../../src/election.js'
import { APIClientBase, close, cluster, type ClusterLogger } from '../../src/index.js'
import { freePort } from '../helpers/members.js'
import { MemoryClient } from '../helpers/memory-client.js'

const logged: string[] = []
const logger: ClusterLogger = {
  info: () => {},
  warn: (m) => logged.push(`warn ${m}`),
  error: (m) => logged.push(`error ${String(m)}`),
}

let port: number
let clients: { close(): Promise<void> }[] = []

beforeEach(async () => {
  port = await freePort()
  MemoryClient.instances = []
  logged.length = 0
})

afterEach(async () => {
  await Promise.all(clients.map((c) => c.close()))
  clients = []
})

function make(tag: string, options: Record<string, unknown> = {}) {
  const c = cluster(MemoryClient, { port, logger, ...options })
    .delegate('echo')
    .delegate('whoami')
    .delegate('echoCallback')
    .delegate('double')
    .delegate('hang')
    .delegate('fail')
    .delegate('fire', 'invokeOneway')
    .create({ tag })
  clients.push(c)
  return c
}

async function trio() {
  const leader = make('a')
  await leader.ready()
  const f1 = make('b')
  const f2 = make('c')
  await Promise.all([f1.ready(), f2.ready()])
  return [leader, f1, f2] as const
}

const nextTick = () => new Promise((r) => setImmediate(r))

/** Resolves when `fn` returns true; checked on every event-loop turn (no fixed sleeps). */
async function until(fn: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 2))
  }
}

describe('roles and invoke', () => {
  test('one leader, one DataClient; every delegated style gives the same answer in leader and followers', async () => {
    const all = await trio()
    expect(all.map((c) => c.state)).toEqual(['leader', 'follower', 'follower'])
    expect(all.map((c) => c.isLeader)).toEqual([true, false, false])
    expect(MemoryClient.instances.map((i) => i.options.tag)).toEqual(['a'])
    for (const c of all) {
      expect(await c.whoami()).toEqual({ tag: 'a', pid: process.pid })
      expect(await c.echo({ buf: Buffer.from('x'), when: new Date(5) })).toEqual({ buf: Buffer.from('x'), when: new Date(5) })
      expect(await c.double(21)).toBe(42) // a synchronous DataClient method
      expect(await c.echoCallback('p')).toBe('cb:p') // callback-style DataClient method, promise-style call
      expect(await new Promise((resolve) => c.echoCallback('q', (_e, v) => resolve(v)))).toBe('cb:q')
      expect(await new Promise((resolve) => c.echo('r', (_e, v) => resolve(v)))).toBe('r') // promise method, callback call
    }
  })

  test('errors keep message, code and own properties; methods not delegated are refused', async () => {
    const [leader, follower] = await trio()
    for (const c of [leader, follower]) {
      await expect(c.fail('nope')).rejects.toMatchObject({ message: 'nope', code: 'E_BAD', detail: { n: 1 } })
      const cbErr = await new Promise<Error | null>((resolve) => c.fail('cb', (e) => resolve(e)))
      expect(cbErr).toMatchObject({ message: 'cb', code: 'E_BAD' })
      await expect(c[CORE].invoke('notDelegated', [])).rejects.toMatchObject({ code: 'SVC_ERR_CC_NO_METHOD' })
    }
  })

  test('an invoke timeout is a coded error naming the method and the timeout, in leader and follower', async () => {
    const leader = make('a', { responseTimeout: 80 })
    await leader.ready()
    const follower = make('b', { responseTimeout: 80 })
    await follower.ready()
    for (const c of [leader, follower]) {
      const err = await c.hang().catch((e: unknown) => e)
      expect(err).toMatchObject({ code: 'SVC_ERR_CC_INVOKE_TIMEOUT', method: 'hang', timeoutMs: 80, retryable: false })
      expect((err as Error).message).toMatch(/"hang".*80 ms/)
    }
  })

  test('invokeOneway reaches the DataClient', async () => {
    const [, follower] = await trio()
    follower.fire('x')
    await until(() => MemoryClient.instances[0]!.published.length === 1, 'the oneway call')
    expect(MemoryClient.instances[0]!.published).toEqual([{ fired: 'x' }])
  })
})

describe('subscribe and publish', () => {
  test('one upstream subscribe per topic; a late subscriber gets the latest value; the last unSubscribe goes upstream', async () => {
    const [leader, f1, f2] = await trio()
    const dc = MemoryClient.instances[0]!
    const got = new Map<string, unknown[]>()
    const listener = (who: string) => (v: unknown) => got.set(who, [...(got.get(who) ?? []), v])
    leader.subscribe({ topic: 'cfg' }, listener('leader'))
    f1.subscribe({ topic: 'cfg' }, listener('f1'))
    f1.subscribe({ topic: 'cfg' }, listener('f1bis')) // second listener in one process: still one subscribe on the wire
    await until(() => dc.subscribeCalls.length === 1, 'the upstream subscribe')
    dc.emitTopic('cfg', 'v1')
    await until(() => ['leader', 'f1', 'f1bis'].every((w) => got.get(w)?.length === 1), 'v1 everywhere')

    f2.subscribe({ topic: 'cfg' }, listener('f2-late'))
    await until(() => got.get('f2-late')?.length === 1, 'the latest value for the late follower')
    expect(got.get('f2-late')).toEqual(['v1'])
    leader.subscribe({ topic: 'cfg' }, listener('leader-late'))
    await until(() => got.get('leader-late')?.length === 1, 'the latest value for a late local listener')
    expect(dc.subscribeCalls).toEqual(['cfg'])

    dc.emitTopic('cfg', 'v2')
    await until(() => ['leader', 'f1', 'f1bis', 'f2-late', 'leader-late'].every((w) => got.get(w)?.at(-1) === 'v2'), 'v2 everywhere')

    // Key order does not make a new subscription.
    f1.subscribe({ topic: 'cfg' }, listener('f1ter'))
    expect(dc.subscribeCalls).toEqual(['cfg'])

    leader.unSubscribe({ topic: 'cfg' })
    f1.unSubscribe({ topic: 'cfg' })
    await nextTick()
    expect(dc.unSubscribeCalls).toEqual([])
    f2.unSubscribe({ topic: 'cfg' })
    await until(() => dc.unSubscribeCalls.length === 1, 'the upstream unSubscribe')
  })

  test('publish from a follower reaches the DataClient', async () => {
    const [, follower] = await trio()
    follower.publish({ topic: 'svc', value: 'host:1' })
    await until(() => MemoryClient.instances[0]!.published.length === 1, 'the publication')
    expect(MemoryClient.instances[0]!.published).toEqual([{ topic: 'svc', value: 'host:1' }])
  })
})

describe('failover and close', () => {
  test('when the leader closes, a follower takes over: new DataClient, subscriptions and publications restored', async () => {
    const [leader, f1, f2] = await trio()
    const seen: unknown[] = []
    f1.subscribe({ topic: 't' }, (v) => seen.push(v))
    f2.subscribe({ topic: 't' }, () => {})
    f2.publish({ topic: 'reg', value: 'f2' })
    const first = MemoryClient.instances[0]!
    await until(() => first.subscribeCalls.length === 1 && first.published.length === 1, 'the first upstream')
    const inFlight = f1.hang().catch((e: unknown) => e)
    await nextTick()

    const roles = Promise.all([f1, f2].map((c) => new Promise((resolve) => c.once('leader', () => resolve('leader')).once('follower', () => resolve('follower')))))
    await leader.close()
    expect(first.closed).toBe(true)
    expect(await inFlight).toMatchObject({ code: 'SVC_ERR_CC_LEADER_LOST', retryable: true })
    expect(((await roles) as string[]).sort()).toEqual(['follower', 'leader'])

    expect(MemoryClient.instances).toHaveLength(2)
    const second = MemoryClient.instances[1]!
    await until(() => second.subscribeCalls.length === 1 && second.published.length === 1, 'the restored subscription')
    expect(second.subscribeCalls).toEqual(['t'])
    expect(second.published).toEqual([{ topic: 'reg', value: 'f2' }])
    second.emitTopic('t', 'after')
    await until(() => seen.includes('after'), 'data through the new leader')
    expect(await f1.echo(1)).toBe(1)
    expect(await f2.echo(2)).toBe(2)
  })

  test('close() is idempotent, and calls after it reject with SVC_ERR_CC_CLOSED', async () => {
    const c = make('a')
    await c.ready()
    await Promise.all([c.close(), c.close()])
    expect(c.state).toBe('closed')
    await expect(c.echo(1)).rejects.toMatchObject({ code: 'SVC_ERR_CC_CLOSED' })
  })

  test('close() during the election ends it cleanly', async () => {
    const c = make('a')
    await c.close()
    await expect(c.ready()).rejects.toMatchObject({ code: 'SVC_ERR_CC_CLOSED' })
    // The port is free again: a new client leads.
    const d = make('b')
    await d.ready()
    expect(d.isLeader).toBe(true)
  })

  test('a DataClient that fails to start fails ready() with a coded error and lets the port go', async () => {
    const bad = cluster(MemoryClient, { port, logger }).delegate('echo').create({ tag: 'x', failReady: true })
    clients.push(bad)
    await expect(bad.ready()).rejects.toMatchObject({ code: 'SVC_ERR_CC_DATA_CLIENT_FAILED' })
    expect(bad.state).toBe('failed')
    await expect(bad.echo(1)).rejects.toMatchObject({ code: 'SVC_ERR_CC_DATA_CLIENT_FAILED' })
    const good = make('a')
    await good.ready()
    expect(good.isLeader).toBe(true)
  })
})

describe('builder', () => {
  test('override sets a property; close(client) works even when close is overridden', async () => {
    const c = cluster(MemoryClient, { port, logger }).delegate('echo').override('close', () => 'mine').override('flavour', 'x').create({ tag: 'a' })
    await c.ready()
    expect(c.flavour).toBe('x')
    expect((c.close as () => unknown)()).toBe('mine')
    await close(c)
    expect(c.state).toBe('closed')
    expect(MemoryClient.instances[0]!.closed).toBe(true)
  })

  test('delegated methods are typed from the DataClient (checked by npm run typecheck)', async () => {
    const c = make('a')
    await c.ready()
    const n: number = await c.double(2)
    const s: string = await c.echoCallback('x')
    expect([n, s]).toEqual([4, 'cb:x'])
    // @ts-expect-error: double takes a number
    expect(() => c.double('x')).not.toThrow()
    // @ts-expect-error: not delegated, so not on the client
    expect(c.notDelegated).toBeUndefined()
  })

  test('delegating to a name the client itself uses is refused; bad options are refused', () => {
    expect(() => cluster(MemoryClient).delegate('ready' as never)).toThrow(expect.objectContaining({ code: 'SVC_ERR_CC_INVALID_OPTIONS' }))
    expect(() => cluster(MemoryClient).delegate('on' as never, 'invoke')).toThrow(expect.objectContaining({ code: 'SVC_ERR_CC_INVALID_OPTIONS' }))
    expect(() => cluster(MemoryClient).delegate('echo', 'nope' as never)).toThrow(expect.objectContaining({ code: 'SVC_ERR_CC_INVALID_OPTIONS' }))
    expect(() => cluster(MemoryClient).delegate('subscribe', 'subscribe').delegate('watch' as never, 'subscribe')).toThrow(
      expect.objectContaining({ code: 'SVC_ERR_CC_INVALID_OPTIONS' }),
    )
    expect(() => cluster(MemoryClient, { port: 70000 }).create({ tag: 'x' })).toThrow(expect.objectContaining({ code: 'SVC_ERR_CC_INVALID_OPTIONS' }))
  })

  test('a method delegated under another kind name serves that kind', async () => {
    class Watcher extends MemoryClient {
      watch(info: { topic: string }, listener: (v: string) => void): void {
        this.subscribe(info, listener)
      }
    }
    const make2 = () => {
      const c = cluster(Watcher, { port, logger }).delegate('watch', 'subscribe').create({ tag: 'w' })
      clients.push(c)
      return c
    }
    const leader = make2()
    await leader.ready()
    const follower = make2()
    await follower.ready()
    const got: string[] = []
    follower.watch({ topic: 'z' }, (v) => got.push(v))
    await until(() => MemoryClient.instances[0]!.subscribeCalls.length === 1, 'the upstream watch')
    MemoryClient.instances[0]!.emitTopic('z', 'zz')
    await until(() => got.length === 1, 'the watched value')
  })
})

describe('APIClientBase', () => {
  class RegistryClient extends APIClientBase<{ echo(v: string): Promise<string> }> {
    readonly cache = new Map<string, string>()
    lookups = 0
    get DataClient() {
      return MemoryClient
    }
    override get delegates() {
      return { echo: 'invoke' } as const
    }
    override get clusterOptions() {
      return { name: 'Registry', logger }
    }
    async lookup(id: string): Promise<string> {
      const hit = this.cache.get(id)
      if (hit !== undefined) return hit
      this.lookups++
      const v = await this._client.echo(`value-of-${id}`)
      this.cache.set(id, v)
      return v
    }
  }

  test('wraps the DataClient with business logic that runs in every process', async () => {
    const a = new RegistryClient({ tag: 'a', clusterOptions: { port } })
    clients.push(a)
    await a.ready()
    const b = new RegistryClient({ tag: 'b', clusterOptions: { port } })
    clients.push(b)
    await b.ready()
    expect([a.isLeader, b.isLeader]).toEqual([true, false])
    expect(await b.lookup('x')).toBe('value-of-x')
    expect(await b.lookup('x')).toBe('value-of-x')
    expect(b.lookups).toBe(1)
    expect(MemoryClient.instances).toHaveLength(1)
    expect(MemoryClient.instances[0]!.options).toMatchObject({ tag: 'a' })
    await close(b)
    await a.close()
  })
})

describe('election backoff', () => {
  test('full jitter under a doubling cap', () => {
    for (let round = 0; round < 12; round++) {
      for (let i = 0; i < 50; i++) {
        const d = backoffDelay(round, 20, 500)
        expect(d).toBeGreaterThanOrEqual(0)
        expect(d).toBeLessThanOrEqual(Math.min(500, 20 * 2 ** round))
      }
    }
  })
})
