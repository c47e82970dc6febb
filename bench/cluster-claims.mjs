// The node pool's engine (Redis or NATS JetStream KV), by the cost of its claim primitive: who takes a key first.
// Redis: SET key value NX PX ttl (the gateway's request claim; the node pool's run claim is the same SET NX PX inside
// a Lua script). JetStream KV: `create`, a put that only succeeds while the key has no value (compare-and-set on the
// subject's last sequence: the cluster's leases, cluster/lease.ts), in a bucket with a TTL like theirs. Each claim
// on a fresh key (it succeeds), 1 and 32 in flight, trials alternating, in this process. Needs Redis at REDIS_URL and
// NATS (JetStream) at NATS_URL.
import { randomBytes } from 'node:crypto'
import { connect } from 'nats'
import { createClient } from 'redis'
import { dropStreams, NATS_URL } from './cluster-hosts.mjs'
import { median } from './lib.mjs'

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const TTL_MS = 10_000

async function claims(claim, count, inflight) {
  const latencies = []
  let next = 0
  const t0 = performance.now()
  await Promise.all(
    Array.from({ length: inflight }, async () => {
      while (next < count) {
        const key = next++
        const t = performance.now()
        if (!(await claim(key))) throw new Error(`claim ${key} refused: every claim here is on a fresh key`)
        latencies.push(performance.now() - t)
      }
    }),
  )
  return { rps: count / ((performance.now() - t0) / 1000), p50: median(latencies) }
}

export async function clusterClaimCases({ trials = 5, count = 5000 } = {}) {
  const run = randomBytes(3).toString('hex')
  const bucket = `bench-claims-${run}`
  const redis = createClient({ url: REDIS_URL })
  redis.on('error', () => {})
  await redis.connect()
  const nc = await connect({ servers: NATS_URL, name: 'bench claims' })
  const rows = []
  try {
    const kv = await nc.jetstream().views.kv(bucket, { ttl: TTL_MS, history: 1 })
    let trial = 0
    const sides = {
      redis: (key) => redis.set(`bench-claim:${run}:${trial}:${key}`, 'host-a', { NX: true, PX: TTL_MS }).then((r) => r === 'OK'),
      kv: (key) => kv.create(`t${trial}.${key}`, 'host-a').then(() => true),
    }
    for (const inflight of [1, 32]) {
      const results = { redis: [], kv: [] }
      for (let t = 0; t < trials; t++, trial++) for (const side of ['redis', 'kv']) results[side].push(await claims(sides[side], count, inflight))
      const med = (side, k) => median(results[side].map((r) => r[k]))
      const label = `cluster, node pool engine: a claim on a fresh key, ${inflight} in flight — JetStream KV create, against Redis SET NX PX`
      rows.push(
        { case: `${label} (claims/s)`, framework: med('kv', 'rps'), baseline: med('redis', 'rps'), ratio: med('kv', 'rps') / med('redis', 'rps'), unit: '/s', higherIsBetter: true },
        { case: `${label} (p50)`, framework: med('kv', 'p50'), baseline: med('redis', 'p50'), ratio: med('kv', 'p50') / med('redis', 'p50'), unit: 'ms', higherIsBetter: false },
      )
    }
  } finally {
    await redis.quit().catch(() => undefined)
    await nc.close()
    await dropStreams([`KV_${bucket}`])
  }
  return rows
}
