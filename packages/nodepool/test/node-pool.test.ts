import { describe, expect, test } from '@jest/globals'
import {
  MemoryDriver,
  NodePool,
  PoolError,
  PoolErrorCode,
  isPoolError,
  type NodePoolOptions,
  type PoolDriver,
} from '../src/index.js'

const H = 100
const TTL = 600
const STABLE = 200
const JOBS = Array.from({ length: 40 }, (_, i) => `job-${i}`)

/** A pool world on a manual clock: the store's clock and every node's clocks are `t`. */
function world(extra: Partial<NodePoolOptions> = {}) {
  const clock = { t: 1_000_000 }
  const driver = new MemoryDriver({ now: () => clock.t })
  const make = (nodeId: string, more: Partial<NodePoolOptions> = {}) =>
    new NodePool({
      service: 'svc',
      driver,
      heartbeatMs: H,
      ttlMs: TTL,
      stableMs: STABLE,
      nodeId,
      autoHeartbeat: false,
      clock: { monotonic: () => clock.t, wall: () => clock.t },
      ...extra,
      ...more,
    })
  return { clock, driver, make }
}

/** Jobs for which more than one pool says eligible. */
function doubleOwned(pools: NodePool[], jobs = JOBS): string[] {
  return jobs.filter((j) => pools.filter((p) => p.isEligible(j)).length > 1)
}

/** Advances the clock by one heartbeat at a time; every live pool beats once per step, in a rotating order. */
async function run(
  w: ReturnType<typeof world>,
  pools: NodePool[],
  ms: number,
  opts: { skip?: Set<NodePool>; check?: boolean } = {},
): Promise<void> {
  for (let elapsed = 0, step = 0; elapsed < ms; elapsed += H, step++) {
    w.clock.t += H
    const order = pools.map((_, i) => pools[(i + step) % pools.length]!)
    for (const p of order) {
      if (opts.skip?.has(p) || !p.running) continue
      await p.heartbeat()
      if (opts.check !== false) expect(doubleOwned(pools)).toEqual([])
    }
  }
}

describe('NodePool options', () => {
  const driver = new MemoryDriver()
  const bad: Array<[string, Partial<NodePoolOptions>]> = [
    ['ttl not above 2 x heartbeat', { heartbeatMs: 100, ttlMs: 200 }],
    ['stable below heartbeat', { heartbeatMs: 100, ttlMs: 600, stableMs: 50 }],
    ['replicas', { replicas: 0 }],
    ['negative heartbeat', { heartbeatMs: -1 }],
    ['epsilon', { boundedLoad: { epsilon: -1 } }],
    ['empty service', { service: '' }],
    ['empty node id', { nodeId: '' }],
  ]
  test.each(bad)('rejects %s with SVC_ERR_POOL_CONFIG', (_, opts) => {
    let err: unknown
    try {
      new NodePool({ service: 's', driver, ...opts })
    } catch (e) {
      err = e
    }
    expect(isPoolError(err, PoolErrorCode.CONFIG)).toBe(true)
    expect((err as PoolError).message).toMatch(/^SVC_ERR_POOL_CONFIG: /)
  })

  test('defaults: ttl 5 x heartbeat, stable 2 x heartbeat, lateness stable / 2', () => {
    const p = new NodePool({ service: 's', driver, heartbeatMs: 200 })
    expect([p.ttlMs, p.stableMs, p.maxClaimLatenessMs, p.replicas]).toEqual([1000, 400, 200, 160])
    expect(p.nodeId).toMatch(/-\d+-[0-9a-f]{6}$/)
  })
})

describe('NodePool state machine (MemoryDriver, manual clock)', () => {
  test('a single node is upgrading until membership was stable for stableMs, then owns every job', async () => {
    const w = world()
    const a = w.make('a')
    const states: string[] = []
    a.on('state', (s) => states.push(s))
    expect(a.isEligible('job-0')).toBe(false)
    expect(a.eligibility('job-0')).toEqual({ eligible: false, reason: 'not-running' })
    await a.start()
    expect(a.state).toBe('upgrading')
    expect(a.nodes()).toEqual(['a'])
    expect(a.eligibility('job-0')).toEqual({ eligible: false, reason: 'upgrading' })
    expect(() => a.assertEligible('job-0')).toThrow(/SVC_ERR_POOL_UPGRADING/)
    await run(w, [a], STABLE - H)
    expect(a.state).toBe('upgrading')
    await run(w, [a], H)
    expect(a.state).toBe('steady')
    expect(states).toEqual(['steady'])
    expect(JOBS.every((j) => a.isEligible(j))).toBe(true)
    await a.stop()
    expect(a.isEligible('job-0')).toBe(false)
    expect(await w.driver.members('svc')).toEqual([])
  })

  test('three nodes split the jobs: each job has exactly one eligible node', async () => {
    const w = world()
    const pools = ['a', 'b', 'c'].map((id) => w.make(id))
    for (const p of pools) await p.start()
    await run(w, pools, STABLE + 2 * H)
    expect(pools.map((p) => p.state)).toEqual(['steady', 'steady', 'steady'])
    for (const j of JOBS) expect(pools.filter((p) => p.isEligible(j)).map((p) => p.nodeId)).toEqual([pools[0]!.owner(j)])
    // every node gets some work with 40 jobs
    for (const p of pools) expect(JOBS.some((j) => p.isEligible(j))).toBe(true)
  })

  test('a join: everyone is upgrading (no job eligible anywhere) until stable, never two owners', async () => {
    const w = world()
    const pools = ['a', 'b', 'c'].map((id) => w.make(id))
    for (const p of pools) await p.start()
    await run(w, pools, STABLE + 2 * H)
    const joins: string[] = []
    pools[0]!.on('join', (n) => joins.push(n))
    const d = w.make('d')
    await d.start()
    const all = [...pools, d]
    // one heartbeat later everyone saw it: nothing is eligible anywhere
    await run(w, all, H)
    expect(all.map((p) => p.state)).toEqual(['upgrading', 'upgrading', 'upgrading', 'upgrading'])
    expect(JOBS.filter((j) => all.some((p) => p.isEligible(j)))).toEqual([])
    expect(joins).toEqual(['d'])
    await run(w, all, STABLE + H)
    expect(all.every((p) => p.state === 'steady')).toBe(true)
    for (const j of JOBS) expect(all.filter((p) => p.isEligible(j)).length).toBe(1)
  })

  test('a crash: the others see it leave after its TTL (store clock), re-balance, never two owners', async () => {
    const w = world()
    const pools = ['a', 'b', 'c'].map((id) => w.make(id))
    for (const p of pools) await p.start()
    await run(w, pools, STABLE + 2 * H)
    const [a, b, c] = pools as [NodePool, NodePool, NodePool]
    const leaves: string[] = []
    a.on('leave', (n) => leaves.push(n))
    const cJobs = JOBS.filter((j) => c.isEligible(j))
    expect(cJobs.length).toBeGreaterThan(0)
    // c stops heartbeating (kill -9): it stays in everyone's view until its key expires
    const dead = new Set([c])
    await run(w, pools, TTL - 2 * H, { skip: dead })
    expect(a.nodes()).toEqual(['a', 'b', 'c'])
    expect(c.fenced).toBe(true) // c itself would refuse work if it were alive but cut off
    await run(w, pools, 2 * H, { skip: dead })
    expect(a.nodes()).toEqual(['a', 'b'])
    expect(leaves).toEqual(['c'])
    await run(w, pools, STABLE + H, { skip: dead })
    expect([a.state, b.state]).toEqual(['steady', 'steady'])
    for (const j of cJobs) expect([a, b].filter((p) => p.isEligible(j)).length).toBe(1)
  })

  test('a graceful stop deregisters: the others see it at their next heartbeat', async () => {
    const w = world()
    const pools = ['a', 'b', 'c'].map((id) => w.make(id))
    for (const p of pools) await p.start()
    await run(w, pools, STABLE + 2 * H)
    await pools[2]!.stop()
    await run(w, pools, H)
    expect(pools[0]!.nodes()).toEqual(['a', 'b'])
    expect(pools[0]!.state).toBe('upgrading')
  })

  test('self-fencing: no renewal for more than ttl/2 -> refuses every job; back after a renewal', async () => {
    const w = world()
    const a = w.make('a')
    const events: string[] = []
    a.on('fenced', () => events.push('fenced'))
    a.on('unfenced', () => events.push('unfenced'))
    await a.start()
    await run(w, [a], STABLE + H)
    expect(a.isEligible('job-1')).toBe(true)
    w.clock.t += TTL / 2 // exactly ttl/2 after the last renewal (plus the beat's own time): still fine
    expect(a.fenced).toBe(false)
    w.clock.t += 1
    expect(a.fenced).toBe(true)
    expect(a.isEligible('job-1')).toBe(false)
    expect(a.eligibility('job-1')).toEqual({ eligible: false, reason: 'fenced' })
    expect(() => a.assertEligible('job-1')).toThrow(/SVC_ERR_POOL_FENCED/)
    expect(await a.claim('job-1', 1)).toBeNull()
    await a.heartbeat() // renewed before the key expired: same lease, no membership change
    expect(events).toEqual(['fenced', 'unfenced'])
    expect(a.state).toBe('steady')
    expect(a.isEligible('job-1')).toBe(true)
  })

  test('a node whose key expired (long pause) re-registers with a new lease and goes upgrading itself', async () => {
    const w = world()
    const pools = ['a', 'b'].map((id) => w.make(id))
    for (const p of pools) await p.start()
    await run(w, pools, STABLE + 2 * H)
    const [a, b] = pools as [NodePool, NodePool]
    const leaseBefore = b.lease
    const changes: unknown[] = []
    b.on('membership', (c) => changes.push(c))
    await run(w, pools, TTL + 2 * H, { skip: new Set([b]) }) // b paused (SIGSTOP) past its TTL
    expect(a.nodes()).toEqual(['a'])
    await b.heartbeat() // SIGCONT
    expect(b.lease).not.toBe(leaseBefore)
    expect(b.state).toBe('upgrading')
    expect(changes).toEqual([{ nodes: ['a', 'b'], added: [], removed: [], reregistered: true }])
    await run(w, pools, STABLE + 2 * H)
    expect([a.state, b.state]).toEqual(['steady', 'steady'])
  })

  test('store data loss (Redis restart): every node re-registers and the pool is upgrading, then recovers', async () => {
    const w = world()
    const pools = ['a', 'b', 'c'].map((id) => w.make(id))
    for (const p of pools) await p.start()
    await run(w, pools, STABLE + 2 * H)
    const owner = pools.find((p) => p.isEligible('job-3'))!
    const claim = await owner.claim('job-3', 7)
    expect(claim).not.toBeNull()
    w.driver.simulateDataLoss()
    // before its next heartbeat a node still thinks it is steady, but the store refuses its lease
    const attempt = await owner.tryClaim('job-3', 8)
    expect(attempt).toEqual({ ok: false, reason: 'lease' })
    await run(w, pools, H)
    expect(pools.every((p) => p.state === 'upgrading')).toBe(true)
    expect(await owner.confirm(claim!)).toBe(false)
    expect((await owner.checkClaim(claim!)).ok).toBe(false)
    await run(w, pools, STABLE + H)
    expect(pools.every((p) => p.state === 'steady')).toBe(true)
    const again = await owner.claim('job-3', 9)
    expect(again!.token).toBeGreaterThan(claim!.token)
  })

  test('a second process with the same node id is refused (SVC_ERR_POOL_NODE_ID_CONFLICT)', async () => {
    const w = world()
    const a1 = w.make('same')
    const a2 = w.make('same')
    await a1.start()
    await expect(a2.start()).rejects.toMatchObject({ code: PoolErrorCode.NODE_ID_CONFLICT })
    expect(a2.running).toBe(false)
  })

  test('bounded load: no node takes more than ceil((1+eps) x average) of the jobs', async () => {
    const w = world({ boundedLoad: { epsilon: 0.1, jobs: JOBS } })
    const pools = ['a', 'b', 'c', 'd'].map((id) => w.make(id))
    for (const p of pools) await p.start()
    await run(w, pools, STABLE + 2 * H)
    const cap = Math.ceil((1.1 * JOBS.length) / 4)
    for (const p of pools) expect(JOBS.filter((j) => p.isEligible(j)).length).toBeLessThanOrEqual(cap)
    for (const j of JOBS) expect(pools.filter((p) => p.isEligible(j)).length).toBe(1)
    pools[0]!.setJobs(JOBS.slice(0, 10))
    expect(pools[0]!.state).toBe('upgrading')
    expect(() => w.make('x', { boundedLoad: undefined }).setJobs([])).toThrow(/SVC_ERR_POOL_CONFIG/)
  })
})

describe('NodePool claims (MemoryDriver)', () => {
  async function steadyPair() {
    const w = world()
    const pools = ['a', 'b'].map((id) => w.make(id))
    for (const p of pools) await p.start()
    await run(w, pools, STABLE + 2 * H)
    const job = 'job-5'
    const owner = pools.find((p) => p.isEligible(job))!
    const other = pools.find((p) => p !== owner)!
    return { w, pools, job, owner, other }
  }

  test('the owner claims a slot once; tokens increase; others and repeats are refused with a reason', async () => {
    const { job, owner, other } = await steadyPair()
    const c1 = await owner.tryClaim(job, 1)
    expect(c1.ok).toBe(true)
    expect(await owner.tryClaim(job, 1)).toEqual({ ok: false, reason: 'taken' })
    expect(await other.tryClaim(job, 1)).toEqual({ ok: false, reason: 'not-owner' })
    const c2 = await owner.claim(job, '2')
    expect(c2!.token).toBeGreaterThan(c1.ok ? c1.claim.token : Infinity)
    expect(c2).toMatchObject({ job, slot: '2', nodeId: owner.nodeId, lease: owner.lease })
    expect(await owner.confirm(c2!)).toBe(true)
  })

  test('a claim more than maxClaimLatenessMs after its scheduled time is refused as late', async () => {
    const { w, job, owner } = await steadyPair()
    expect(await owner.tryClaim(job, 10, { scheduledAt: w.clock.t - owner.maxClaimLatenessMs })).toMatchObject({ ok: true })
    expect(await owner.tryClaim(job, 11, { scheduledAt: w.clock.t - owner.maxClaimLatenessMs - 1 })).toEqual({
      ok: false,
      reason: 'late',
    })
  })

  test('a run whose node lost its lease meanwhile is not confirmed (reason lease); a store-side stale claim is refused', async () => {
    const { w, pools, job, owner } = await steadyPair()
    const claim = (await owner.claim(job, 20))!
    const staleLease = owner.lease!
    await run(w, pools, TTL + H, { skip: new Set([owner]) }) // paused mid-run past its TTL
    expect(await owner.checkClaim(claim)).toEqual({ ok: false, reason: 'lease' })
    await owner.heartbeat() // resumes: new lease
    expect(await owner.checkClaim(claim)).toEqual({ ok: false, reason: 'lease' })
    // a late claim sent with the old lease (paused between its check and its request) is refused by the store
    const raw = await w.driver.claim({ service: 'svc', job, slot: '21', nodeId: owner.nodeId, lease: staleLease, ttlMs: 1000 })
    expect(raw).toEqual({ ok: false, reason: 'lease' })
  })

  test('a claim whose key expired is not confirmed (reason expired)', async () => {
    const { w, job, owner } = await steadyPair()
    const claim = (await owner.claim(job, 30, { ttlMs: 50 }))!
    w.clock.t += 51
    expect(await owner.checkClaim(claim)).toEqual({ ok: false, reason: 'expired' })
  })

  test('driver failures are emitted as coded errors; the node fences itself after ttl/2', async () => {
    const w = world()
    let failing = false
    const flaky: PoolDriver = {
      kind: 'flaky',
      heartbeat: (r, o) => (failing ? Promise.reject(new Error('boom')) : w.driver.heartbeat(r, o)),
      members: (s) => w.driver.members(s),
      deregister: (s, n, l) => w.driver.deregister(s, n, l),
      claim: (r) => (failing ? Promise.reject(new Error('boom')) : w.driver.claim(r)),
      confirm: (r) => w.driver.confirm(r),
    }
    const a = w.make('a', { driver: flaky })
    const errors: string[] = []
    a.on('error', (e) => errors.push(e.code))
    await a.start()
    await run(w, [a], STABLE + H)
    expect(a.isEligible('job-0')).toBe(true)
    failing = true
    expect(await a.tryClaim('job-0', 1)).toMatchObject({ ok: false, reason: 'error' })
    await run(w, [a], TTL / 2 + H, { check: false })
    expect(errors.length).toBeGreaterThan(1)
    expect(new Set(errors)).toEqual(new Set([PoolErrorCode.DRIVER]))
    expect(a.eligibility('job-0')).toEqual({ eligible: false, reason: 'fenced' })
  })

  test('a start whose first heartbeat fails rejects and leaves the pool stopped', async () => {
    const w = world()
    const down: PoolDriver = {
      kind: 'down',
      heartbeat: () => Promise.reject(new Error('ECONNREFUSED')),
      members: (s) => w.driver.members(s),
      deregister: (s, n, l) => w.driver.deregister(s, n, l),
      claim: (r) => w.driver.claim(r),
      confirm: (r) => w.driver.confirm(r),
    }
    const a = w.make('a', { driver: down })
    await expect(a.start()).rejects.toMatchObject({ code: PoolErrorCode.DRIVER })
    expect(a.running).toBe(false)
  })
})

describe('NodePool heartbeat loop (real timers)', () => {
  test('start, steady, take over after a stop, stop deregisters', async () => {
    const driver = new MemoryDriver()
    const opts = { service: 'loop', driver, heartbeatMs: 20, ttlMs: 120, stableMs: 40 }
    const a = new NodePool({ ...opts, nodeId: 'a' })
    const b = new NodePool({ ...opts, nodeId: 'b' })
    await Promise.all([a.start(), b.start()])
    await Promise.all([a.whenSteady(2000), b.whenSteady(2000)])
    expect(a.nodes()).toEqual(['a', 'b'])
    await b.stop()
    await new Promise<void>((resolve) => a.once('leave', () => resolve()))
    await a.whenSteady(2000)
    expect(JOBS.every((j) => a.isEligible(j))).toBe(true)
    await a.stop()
    expect(await driver.members('loop')).toEqual([])
    await expect(new NodePool({ ...opts, nodeId: 'c' }).whenSteady(30)).rejects.toMatchObject({
      code: PoolErrorCode.TIMEOUT,
    })
  })
})
