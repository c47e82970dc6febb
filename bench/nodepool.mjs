#!/usr/bin/env node
// Benchmark of @services-cluster/nodepool (build first: `npm run build`).
//
//   node bench/nodepool.mjs [--quick] [--json]
//
// 1. isEligible decisions per second (in-process pool, MemoryDriver, steady, 3 members), plus raw ring
//    lookups per second and the cost of a bounded-load assignment.
// 2. Failover: three OS processes on Redis 127.0.0.1:6379 share tasks due every 100 ms; one host is killed
//    (kill -9, and in the full run also stopped gracefully with SIGTERM); the time from its death to each of
//    its tasks being claimed by another host is measured from the claims the survivors record.
//    Skipped (with a note) when Redis does not answer.

import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import net from 'node:net'
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'
import { createClient } from 'redis'
import {
  BoundedLoadRing,
  HashRing,
  MemoryDriver,
  NodePool,
  RedisDriver,
} from '../packages/nodepool/dist/index.js'

const SELF = fileURLToPath(import.meta.url)
const REDIS_URL = 'redis://127.0.0.1:6379'
const args = process.argv.slice(2)

if (args[0] === '--host') {
  await host(JSON.parse(args[1]))
} else {
  await main()
}

// ---- child: one host ------------------------------------------------------------------------------------------

async function host(cfg) {
  const { service, recordKey, nodeId, jobs, periodMs, heartbeatMs, ttlMs, stableMs } = cfg
  const record = createClient({ url: REDIS_URL })
  record.on('error', () => {})
  await record.connect()
  const driver = new RedisDriver({ url: REDIS_URL, reconnectDelayMs: 50 })
  const pool = new NodePool({ service, driver, nodeId, heartbeatMs, ttlMs, stableMs })
  pool.on('error', () => {})
  pool.on('state', (state) => void record.rPush(recordKey, JSON.stringify({ e: 'state', node: nodeId, state, t: Date.now() })))
  await pool.start()
  const tick = () => {
    const now = Date.now()
    setTimeout(tick, (Math.floor(now / periodMs) + 1) * periodMs - now + 1)
    const slot = Math.floor(now / periodMs)
    for (const job of jobs) {
      if (!pool.isEligible(job)) continue
      void pool.claim(job, slot, { scheduledAt: slot * periodMs }).then((c) => {
        if (c) void record.rPush(recordKey, JSON.stringify({ e: 'claim', node: nodeId, job, slot, t: Date.now() }))
      })
    }
  }
  process.on('SIGTERM', async () => {
    await pool.stop()
    await driver.close()
    await record.close()
    process.exit(0)
  })
  process.stdout.write('ready\n')
  tick()
}

// ---- parent ---------------------------------------------------------------------------------------------------

async function main() {
  const quick = args.includes('--quick')
  const json = args.includes('--json')
  const results = { quick }
  const log = (...a) => {
    if (!json) console.log(...a)
  }

  log(`nodepool bench${quick ? ' (--quick)' : ''}`)
  results.eligibility = await benchEligibility(quick ? 300 : 2000)
  const e = results.eligibility
  log(`  isEligible decisions/s      ${fmt(e.decisionsPerSec)}  (steady pool, ${e.members} members, ${e.jobs} jobs, ${(e.eligibleShare * 100).toFixed(1)}% owned here)`)
  log(`  ring lookups/s (uncached)   ${fmt(e.ringLookupsPerSec)}  (${e.members} members x ${e.replicas} virtual nodes)`)
  log(`  bounded-load assignment     ${e.boundedAssignMs.toFixed(2)} ms for ${e.boundedJobs} jobs on ${e.members} members`)

  if (!(await portAnswers(6379))) {
    log('  failover: skipped (Redis is not answering on 127.0.0.1:6379)')
    results.failover = { skipped: 'redis not answering on 127.0.0.1:6379' }
  } else {
    const configs = quick
      ? [{ heartbeatMs: 100, ttlMs: 600, stableMs: 300, periodMs: 100, mode: 'kill' }]
      : [
          { heartbeatMs: 100, ttlMs: 600, stableMs: 300, periodMs: 100, mode: 'kill' },
          { heartbeatMs: 100, ttlMs: 600, stableMs: 300, periodMs: 100, mode: 'kill' },
          { heartbeatMs: 100, ttlMs: 600, stableMs: 300, periodMs: 100, mode: 'kill' },
          { heartbeatMs: 100, ttlMs: 600, stableMs: 300, periodMs: 100, mode: 'stop' },
          { heartbeatMs: 250, ttlMs: 1500, stableMs: 500, periodMs: 100, mode: 'kill' },
        ]
    results.failover = []
    for (const cfg of configs) {
      const r = await benchFailover(cfg)
      results.failover.push(r)
      log(
        `  failover (${r.mode === 'kill' ? 'kill -9' : 'SIGTERM'}, heartbeat ${cfg.heartbeatMs} / ttl ${cfg.ttlMs} / stable ${cfg.stableMs} ms): ` +
          `first task elsewhere after ${r.firstMs} ms, all ${r.tasks} tasks after ${r.allMs} ms ` +
          `(bound ${r.boundMs} ms = ${r.mode === 'kill' ? 'ttl + ' : ''}2 x heartbeat + stable + period)`,
      )
    }
  }
  if (json) console.log(JSON.stringify(results))
}

function fmt(n) {
  return Math.round(n).toLocaleString('en-US').padStart(14)
}

async function benchEligibility(durationMs) {
  const driver = new MemoryDriver()
  const members = ['node-a', 'node-b', 'node-c']
  const pools = members.map(
    (nodeId) => new NodePool({ service: 'bench', driver, nodeId, heartbeatMs: 20, ttlMs: 200, stableMs: 20 }),
  )
  await Promise.all(pools.map((p) => p.start()))
  await Promise.all(pools.map((p) => p.whenSteady(5000)))
  const jobs = Array.from({ length: 1000 }, (_, i) => `job-${i}`)
  const pool = pools[0]
  let decisions = 0
  let yes = 0
  const t0 = performance.now()
  let elapsed = 0
  let fenced = 0
  while (elapsed < durationMs) {
    // Chunks of ~20k decisions, then yield to the event loop so the heartbeats go on: a loop that blocked
    // the process would fence the pool after ttl/2 and measure the (cheaper) fenced path instead.
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < jobs.length; i++) if (pool.isEligible(jobs[i])) yes++
      decisions += jobs.length
    }
    if (pool.fenced || pool.state !== 'steady') fenced++
    await new Promise((r) => setImmediate(r))
    elapsed = performance.now() - t0
  }
  if (fenced > 0) throw new Error(`pool left steady state during the measurement (${fenced} chunks)`)
  await Promise.all(pools.map((p) => p.stop()))

  const ring = new HashRing(members)
  const keys = Array.from({ length: 100_000 }, (_, i) => `key-${i}`)
  let owners = 0
  const r0 = performance.now()
  let lookups = 0
  while (performance.now() - r0 < durationMs / 2) {
    for (const k of keys) if (ring.get(k) === 'node-a') owners++
    lookups += keys.length
  }
  const ringElapsed = performance.now() - r0

  const boundedJobs = Array.from({ length: 5000 }, (_, i) => `job-${i}`)
  const b0 = performance.now()
  new BoundedLoadRing(ring, boundedJobs, { epsilon: 0.25 })
  const boundedAssignMs = performance.now() - b0

  return {
    decisionsPerSec: decisions / (elapsed / 1000),
    eligibleShare: yes / decisions,
    ringLookupsPerSec: lookups / (ringElapsed / 1000),
    ringOwnerShare: owners / lookups,
    members: members.length,
    replicas: ring.replicas,
    jobs: jobs.length,
    boundedJobs: boundedJobs.length,
    boundedAssignMs,
  }
}

async function benchFailover(cfg) {
  const { heartbeatMs, ttlMs, stableMs, periodMs, mode } = cfg
  const service = `bench-${process.pid}-${randomBytes(4).toString('hex')}`
  const recordKey = `nodepool-bench:records:${service}`
  const jobs = Array.from({ length: 12 }, (_, i) => `task-${i}`)
  const client = createClient({ url: REDIS_URL })
  client.on('error', () => {})
  await client.connect()
  const children = []
  try {
    const ids = ['a', 'b', 'c']
    await Promise.all(
      ids.map(
        (nodeId) =>
          new Promise((resolve, reject) => {
            const child = spawn(
              process.execPath,
              [SELF, '--host', JSON.stringify({ service, recordKey, nodeId, jobs, periodMs, heartbeatMs, ttlMs, stableMs })],
              { stdio: ['ignore', 'pipe', 'inherit'] },
            )
            children.push({ nodeId, child })
            child.stdout.on('data', (d) => d.toString().includes('ready') && resolve())
            child.once('exit', (code) => reject(new Error(`host ${nodeId} exited ${code}`)))
          }),
      ),
    )
    const read = async () => (await client.lRange(recordKey, 0, -1)).map((s) => JSON.parse(s))
    // Wait until every job is being claimed every slot (all steady).
    const deadline = Date.now() + 15_000
    for (;;) {
      const recs = await read()
      const slot = Math.floor(Date.now() / periodMs) - 1
      const claimed = new Set(recs.filter((r) => r.e === 'claim' && r.slot === slot).map((r) => r.job))
      if (claimed.size === jobs.length && recs.filter((r) => r.e === 'state').length >= 3) break
      if (Date.now() > deadline) throw new Error('pool did not settle')
      await sleep(periodMs)
    }
    await sleep(500)
    // The victim's tasks: what it claimed in the last slot.
    const before = await read()
    const lastSlot = Math.floor(Date.now() / periodMs) - 1
    const victimJobs = before.filter((r) => r.e === 'claim' && r.node === 'c' && r.slot === lastSlot).map((r) => r.job)
    const victim = children.find((c) => c.nodeId === 'c').child
    const diedAt = Date.now()
    victim.kill(mode === 'kill' ? 'SIGKILL' : 'SIGTERM')
    await new Promise((r) => victim.once('exit', r))
    const boundMs = (mode === 'kill' ? ttlMs : 0) + 2 * heartbeatMs + stableMs + periodMs
    await sleep(boundMs + 1500)
    const after = (await read()).filter((r) => r.e === 'claim' && r.t > diedAt && r.node !== 'c')
    const firstByJob = victimJobs.map((job) => {
      const hit = after.filter((r) => r.job === job).sort((x, y) => x.t - y.t)[0]
      return hit ? hit.t - diedAt : Infinity
    })
    return {
      mode,
      ...cfg,
      tasks: victimJobs.length,
      firstMs: Math.min(...firstByJob),
      allMs: Math.max(...firstByJob),
      boundMs,
    }
  } finally {
    for (const { child } of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await client.del(recordKey)
    for await (const batch of client.scanIterator({ MATCH: `nodepool:{${service}}*`, COUNT: 1000 })) {
      if (batch.length) await client.del(batch)
    }
    await client.close()
  }
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms))
}

function portAnswers(port) {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' })
    const done = (ok) => {
      s.destroy()
      resolve(ok)
    }
    s.setTimeout(500, () => done(false))
    s.once('connect', () => done(true))
    s.once('error', () => done(false))
  })
}
