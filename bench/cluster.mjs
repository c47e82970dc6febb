// What a call across hosts costs (issue 25): services-cluster's NATS call transport (cluster/nats-calls.ts: the
// subject, the identity and method headers, errors coded) against a bare NATS request/reply, between the same two
// processes and connections, trials alternating in one run: round trips/s with 1 and 32 in flight, and p50 latency
// one at a time. The other cross-host cases live beside it and are run from here too: a service→service call across
// two hosts against bare NATS and Moleculer (cluster-calls.mjs), failover of a singleton (cluster-failover.mjs), the
// node pool's claim on Redis against JetStream KV (cluster-claims.mjs).
// Alone: node bench/cluster.mjs [--trials N] [--count N]. Needs NATS at NATS_URL (and Redis for the claims).
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createInterface } from 'node:readline'
import { connect } from 'nats'
import { callOverNats } from '../packages/core/dist/cluster/nats-calls.js'
import { clusterClaimCases } from './cluster-claims.mjs'
import { clusterServiceCases } from './cluster-calls.mjs'
import { clusterFailoverCases } from './cluster-failover.mjs'
import { fmt, here, median } from './lib.mjs'

export { clusterClaimCases, clusterFailoverCases, clusterServiceCases }

const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222'

async function loop(call, count, inflight) {
  const latencies = []
  let next = 0
  const t0 = performance.now()
  await Promise.all(
    Array.from({ length: inflight }, async () => {
      while (next++ < count) {
        const t = performance.now()
        await call()
        latencies.push(performance.now() - t)
      }
    }),
  )
  return { rps: count / ((performance.now() - t0) / 1000), p50: median(latencies) }
}

export async function clusterCases({ trials = 5, count = 5000 } = {}) {
  const cluster = `bench${randomBytes(3).toString('hex')}`
  const server = spawn(process.execPath, [here('./fixtures/nats-server-side.mjs'), NATS_URL, cluster], { stdio: ['ignore', 'pipe', 'inherit'] })
  await createInterface({ input: server.stdout })[Symbol.asyncIterator]().next()
  const nc = await connect({ servers: NATS_URL, name: 'bench-client' })
  const args = new Uint8Array(64).fill(65)
  const sides = {
    framework: () => callOverNats(nc, cluster, { fromHost: 'a', from: 'caller', to: 'echo', method: 'echo', args, timeoutMs: 5000 }),
    baseline: () => nc.request(`raw.${cluster}.echo`, args, { timeout: 5000 }),
  }
  const rows = []
  try {
    for (const inflight of [1, 32]) {
      const results = { framework: [], baseline: [] }
      for (let t = 0; t < trials; t++) for (const side of ['framework', 'baseline']) results[side].push(await loop(sides[side], count, inflight))
      const rps = (side) => median(results[side].map((r) => r.rps))
      rows.push({
        case: `cluster: a call across hosts over NATS, 64 B, ${inflight} in flight — round trips/s, against a bare NATS request/reply`,
        framework: rps('framework'),
        baseline: rps('baseline'),
        ratio: rps('framework') / rps('baseline'),
        unit: '/s',
        higherIsBetter: true,
      })
      if (inflight === 1) {
        const p50 = (side) => median(results[side].map((r) => r.p50))
        rows.push({
          case: 'cluster: a call across hosts over NATS, 64 B, one at a time — p50 latency, against a bare NATS request/reply',
          framework: p50('framework'),
          baseline: p50('baseline'),
          ratio: p50('framework') / p50('baseline'),
          unit: 'ms',
          higherIsBetter: false,
        })
      }
    }
  } finally {
    await nc.close()
    server.kill()
  }
  return rows
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name, fallback) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : fallback)
  const opts = { trials: arg('--trials', 5), count: arg('--count', 5000) }
  for (const cases of [clusterCases, clusterServiceCases, clusterFailoverCases, clusterClaimCases]) {
    for (const r of await cases(opts)) {
      const cell = (n) => (n == null ? '—' : `${fmt(n)} ${r.unit}`)
      console.log(`| ${r.case} | ${cell(r.framework)} | ${cell(r.baseline)} | ${r.ratio == null ? '—' : `${r.ratio.toFixed(2)}×`} |`)
    }
  }
}
