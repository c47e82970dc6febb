import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import { NodePool, PoolKeys, RedisDriver, type IoredisLike } from '../src/index.js'
import { REDIS_URL, connectRedis, deletePoolKeys, redisForTests, uniqueService, type RedisClient } from './helpers/redis.js'

const describeRedis = (await redisForTests('the RedisDriver tests')) ? describe : describe.skip

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describeRedis('RedisDriver (real Redis at REDIS_URL)', () => {
  let client: RedisClient
  let driver: RedisDriver
  const services: string[] = []
  const svc = (label: string) => {
    const s = uniqueService(label)
    services.push(s)
    return s
  }

  beforeAll(async () => {
    client = await connectRedis()
    driver = new RedisDriver({ url: REDIS_URL })
  })

  afterAll(async () => {
    for (const s of services) await deletePoolKeys(client, s)
    await driver.close()
    await client.close()
  })

  test('heartbeat registers with SET PX ttl and a sorted-set entry scored by Redis TIME + ttl', async () => {
    const service = svc('register')
    const keys = new PoolKeys('nodepool:', service)
    const [sec, usec] = (await client.sendCommand(['TIME'])) as [string, string]
    const redisNow = Number(sec) * 1000 + Math.floor(Number(usec) / 1000)
    const r = await driver.heartbeat({ service, nodeId: 'n1', instance: 'i1', lease: null, ttlMs: 5000 })
    expect(r).toMatchObject({ ok: true, fresh: true, nodes: ['n1'] })
    if (!r.ok) throw new Error('unreachable')
    expect(r.lease).toMatch(/^i1\|\d+$/)
    expect(await client.get(keys.node('n1'))).toBe(r.lease)
    const pttl = await client.pTTL(keys.node('n1'))
    expect(pttl).toBeGreaterThan(4000)
    expect(pttl).toBeLessThanOrEqual(5000)
    const score = Number(await client.zScore(keys.members(), 'n1'))
    expect(score - redisNow).toBeGreaterThanOrEqual(5000 - 50)
    expect(score - redisNow).toBeLessThanOrEqual(5000 + 1000)
    const renew = await driver.heartbeat({ service, nodeId: 'n1', instance: 'i1', lease: r.lease, ttlMs: 5000 })
    expect(renew).toMatchObject({ ok: true, fresh: false, lease: r.lease })
  })

  test('liveness follows Redis expiry: a node that stops renewing disappears after its TTL', async () => {
    const service = svc('expiry')
    await driver.heartbeat({ service, nodeId: 'short', instance: 'i', lease: null, ttlMs: 150 })
    const long = await driver.heartbeat({ service, nodeId: 'long', instance: 'j', lease: null, ttlMs: 5000 })
    expect(long.ok && long.nodes).toEqual(['long', 'short'])
    expect(await driver.members(service)).toEqual(['long', 'short'])
    await sleep(250)
    expect(await driver.members(service)).toEqual(['long'])
    const again = await driver.heartbeat({ service, nodeId: 'long', instance: 'j', lease: long.ok ? long.lease : null, ttlMs: 5000 })
    expect(again.ok && again.nodes).toEqual(['long'])
    // the expired entry was dropped from the sorted set too
    expect(await client.zRange(new PoolKeys('nodepool:', service).members(), 0, -1)).toEqual(['long'])
  })

  test('a second instance with the same node id gets a conflict and does not take over', async () => {
    const service = svc('conflict')
    const first = await driver.heartbeat({ service, nodeId: 'n', instance: 'A', lease: null, ttlMs: 5000 })
    const second = await driver.heartbeat({ service, nodeId: 'n', instance: 'B', lease: null, ttlMs: 5000 })
    expect(second).toEqual({ ok: false, reason: 'conflict', holder: first.ok ? first.lease : '' })
    // our own lease whose reply we lost is adopted (fresh) rather than treated as a conflict
    const lostReply = await driver.heartbeat({ service, nodeId: 'n', instance: 'A', lease: null, ttlMs: 5000 })
    expect(lostReply).toMatchObject({ ok: true, fresh: true, lease: first.ok ? first.lease : '' })
  })

  test('deregister removes the registration only for the lease holder', async () => {
    const service = svc('dereg')
    const r = await driver.heartbeat({ service, nodeId: 'n', instance: 'A', lease: null, ttlMs: 5000 })
    await driver.deregister(service, 'n', 'A|wrong')
    expect(await driver.members(service)).toEqual(['n'])
    await driver.deregister(service, 'n', r.ok ? r.lease : '')
    expect(await driver.members(service)).toEqual([])
    expect(await client.exists(new PoolKeys('nodepool:', service).node('n'))).toBe(0)
  })

  test('claim: SET NX per slot, lease checked in the same script, tokens strictly increasing', async () => {
    const service = svc('claim')
    const hb = await driver.heartbeat({ service, nodeId: 'n', instance: 'A', lease: null, ttlMs: 5000 })
    const lease = hb.ok ? hb.lease : ''
    const req = { service, job: 'j', nodeId: 'n', lease, ttlMs: 5000 }
    const c1 = await driver.claim({ ...req, slot: '1' })
    expect(c1.ok).toBe(true)
    expect(await driver.claim({ ...req, slot: '1' })).toEqual({ ok: false, reason: 'taken' })
    expect(await driver.claim({ ...req, slot: '2', lease: 'A|stale' })).toEqual({ ok: false, reason: 'lease' })
    const tokens: number[] = []
    for (let s = 2; s < 50; s++) {
      const c = await driver.claim({ ...req, slot: String(s) })
      if (!c.ok) throw new Error(`slot ${s} refused`)
      tokens.push(c.token)
    }
    for (let i = 1; i < tokens.length; i++) expect(tokens[i]!).toBeGreaterThan(tokens[i - 1]!)
    expect(tokens.every(Number.isSafeInteger)).toBe(true)
    const keys = new PoolKeys('nodepool:', service)
    expect(await client.get(keys.run('j', '1'))).toBe(`${c1.ok ? c1.token : 0} n ${lease}`)
    expect(await client.pTTL(keys.run('j', '1'))).toBeGreaterThan(4000)
  })

  test('job and slot names cannot collide in the run key (job a:b slot c vs job a slot b:c)', async () => {
    const service = svc('keys')
    const hb = await driver.heartbeat({ service, nodeId: 'n', instance: 'A', lease: null, ttlMs: 5000 })
    const req = { service, nodeId: 'n', lease: hb.ok ? hb.lease : '', ttlMs: 5000 }
    expect((await driver.claim({ ...req, job: 'a:b', slot: 'c' })).ok).toBe(true)
    expect((await driver.claim({ ...req, job: 'a', slot: 'b:c' })).ok).toBe(true)
  })

  test('many concurrent claimers of one slot: exactly one wins', async () => {
    const service = svc('race')
    const leases: string[] = []
    for (let i = 0; i < 20; i++) {
      const hb = await driver.heartbeat({ service, nodeId: `n${i}`, instance: `I${i}`, lease: null, ttlMs: 5000 })
      leases.push(hb.ok ? hb.lease : '')
    }
    const results = await Promise.all(
      leases.map((lease, i) => driver.claim({ service, job: 'j', slot: 'x', nodeId: `n${i}`, lease, ttlMs: 5000 })),
    )
    expect(results.filter((r) => r.ok).length).toBe(1)
  })

  test('tokens stay increasing when Redis loses the counter (restart without persistence)', async () => {
    const service = svc('fence')
    const hb = await driver.heartbeat({ service, nodeId: 'n', instance: 'A', lease: null, ttlMs: 5000 })
    const req = { service, job: 'j', nodeId: 'n', lease: hb.ok ? hb.lease : '', ttlMs: 5000 }
    const before = await driver.claim({ ...req, slot: '1' })
    await client.del(new PoolKeys('nodepool:', service).fence('j')) // what a restart does to the counter
    const after = await driver.claim({ ...req, slot: '2' })
    expect(before.ok && after.ok).toBe(true)
    if (before.ok && after.ok) expect(after.token).toBeGreaterThan(before.token)
  })

  test('confirm: ok, expired, superseded, lease', async () => {
    const service = svc('confirm')
    const keys = new PoolKeys('nodepool:', service)
    const hb = await driver.heartbeat({ service, nodeId: 'n', instance: 'A', lease: null, ttlMs: 5000 })
    const lease = hb.ok ? hb.lease : ''
    const c = await driver.claim({ service, job: 'j', slot: '1', nodeId: 'n', lease, ttlMs: 5000 })
    if (!c.ok) throw new Error('claim refused')
    const conf = { service, job: 'j', slot: '1', nodeId: 'n', lease, token: c.token }
    expect(await driver.confirm(conf)).toEqual({ ok: true })
    expect(await driver.confirm({ ...conf, token: c.token - 1 })).toEqual({ ok: false, reason: 'superseded' })
    await client.set(keys.node('n'), 'A|other-lease')
    expect(await driver.confirm(conf)).toEqual({ ok: false, reason: 'lease' })
    await client.del(keys.run('j', '1'))
    expect(await driver.confirm(conf)).toEqual({ ok: false, reason: 'expired' })
  })

  test('scripts are re-sent after SCRIPT FLUSH (what a Redis restart does to the script cache)', async () => {
    const service = svc('noscript')
    await driver.heartbeat({ service, nodeId: 'n', instance: 'A', lease: null, ttlMs: 5000 })
    await client.scriptFlush()
    expect(await driver.members(service)).toEqual(['n'])
  })

  test('works with a caller-owned node-redis client and with an ioredis-style client (call)', async () => {
    const service = svc('clients')
    const own = new RedisDriver({ client: client as never })
    const io: IoredisLike = { call: (cmd, ...args) => client.sendCommand([cmd, ...args]) }
    const ioDriver = new RedisDriver({ client: io })
    const a = await own.heartbeat({ service, nodeId: 'a', instance: 'A', lease: null, ttlMs: 5000 })
    const b = await ioDriver.heartbeat({ service, nodeId: 'b', instance: 'B', lease: null, ttlMs: 5000 })
    expect(a.ok && b.ok && b.nodes).toEqual(['a', 'b'])
    await own.close() // does not close a client it did not create
    expect(await client.ping()).toBe('PONG')
  })

  test('NodePool over Redis: steady, one owner per job, take-over after a stop', async () => {
    const service = svc('pool')
    const jobs = Array.from({ length: 30 }, (_, i) => `job-${i}`)
    const pools = ['a', 'b', 'c'].map(
      (nodeId) => new NodePool({ service, driver, nodeId, heartbeatMs: 50, ttlMs: 300, stableMs: 100 }),
    )
    await Promise.all(pools.map((p) => p.start()))
    await Promise.all(pools.map((p) => p.whenSteady(3000)))
    for (const j of jobs) expect(pools.filter((p) => p.isEligible(j)).length).toBe(1)
    await pools[0]!.stop()
    const rest = pools.slice(1)
    await sleep(60)
    await Promise.all(rest.map((p) => p.whenSteady(3000)))
    expect(rest[0]!.nodes()).toEqual(['b', 'c'])
    for (const j of jobs) expect(rest.filter((p) => p.isEligible(j)).length).toBe(1)
    await Promise.all(rest.map((p) => p.stop()))
    expect(await driver.members(service)).toEqual([])
  })

  test('a driver on a port where nothing listens: start rejects with a coded error, close returns', async () => {
    const dead = new RedisDriver({ url: 'redis://127.0.0.1:1' })
    const pool = new NodePool({ service: svc('dead'), driver: dead, heartbeatMs: 100, ttlMs: 600 })
    await expect(pool.start()).rejects.toMatchObject({ code: expect.stringMatching(/^SVC_ERR_POOL_(TIMEOUT|DRIVER)$/) })
    await dead.close()
  })
})
