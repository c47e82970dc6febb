// Keeps `npm run bench` from rotting: every case runs at a tiny size and must produce finite figures, including the
// peers (PM2, Moleculer, egg's cluster-client; installed by the bench/ workspace) and our cluster-client. Nothing
// here judges speed; that is the full benchmark's job (docs/benchmarks.md).
import { afterAll, describe, expect, test } from '@jest/globals'
import { natsForTests } from '../../../../test-support/nats.js'
import { redisForTests } from '../../../../test-support/redis.js'

interface Row {
  case: string
  framework: number
  baseline: number | null
  ratio: number | null
}
type Cases = Record<string, (o: object) => Promise<Row[]>>
type ClusterClientCases = (impl: 'egg' | 'ours', o: object) => Promise<Row[]>

const load = async (file: string): Promise<Cases> => (await import(`../../../../bench/${file}`)) as Cases
const core = await load('core.mjs')
/** The run records of the bench's managers: the bench removes them when its process exits, which jest's never does. */
const { removeStateDir } = core as unknown as { removeStateDir: () => void }
const bench: Cases = {
  ...core,
  ...(await load('pm2.mjs')),
  ...(await load('moleculer.mjs')),
  ...(await load('containment.mjs')),
  ...(await load('readiness.mjs')),
  ...(await load('commands.mjs')),
  ...(await load('tracing.mjs')),
  ...(await load('metrics.mjs')),
  ...(await load('replicas.mjs')),
  ...(await load('cluster.mjs')),
}
const { clusterClientCases } = (await load('cluster-client-calls.mjs')) as unknown as { clusterClientCases: ClusterClientCases }
bench.eggClusterClientCases = (o) => clusterClientCases('egg', o)
bench.ourClusterClientCases = (o) => clusterClientCases('ours', o)
const withNats = await natsForTests('the cross-host bench cases')
const withRedis = withNats && (await redisForTests("the bench case of the node pool's claims (Redis against JetStream KV)"))

describe('benchmark smoke run (quick sizes)', () => {
  afterAll(removeStateDir)
  test.each([
    ['callCases', { trials: 1, count: 20 }],
    ['moleculerCases', { trials: 1, count: 20 }],
    ['eggClusterClientCases', { trials: 1, count: 20 }],
    ['ourClusterClientCases', { trials: 1, count: 20 }],
    ['recoveryCases', { trials: 1 }],
    ['startupCases', { trials: 1, services: 3 }],
    ['containmentCases', { trials: 1, services: 3 }],
    ['readinessCases', { trials: 1 }],
    ['commandCases', { trials: 1, services: 2 }],
    ['tracingCases', { trials: 1, count: 20 }],
    ['metricsCases', { trials: 1, count: 20, routerCalls: 1000 }],
    ['pm2Cases', { trials: 1, apps: 2 }],
    // A reload under load on our side and PM2's fork mode (its reload path in the driver); the CPU-bound and replace cases.
    ['replicasCases', { trials: 1, seconds: 0.1, calls: 16, sides: ['sc1', 'pm2f'] }],
    ['memoryCases', { services: 3 }],
    // Calls across hosts need NATS (skipped with a line saying so without it, a failure under CI=true).
    ...(withNats
      ? ([
          ['clusterCases', { trials: 1, count: 20 }],
          ['clusterServiceCases', { trials: 1, count: 20 }],
          ['clusterFailoverCases', { trials: 1 }],
        ] as [string, object][])
      : []),
    ...(withRedis ? [['clusterClaimCases', { trials: 1, count: 20 }] as [string, object]] : []),
  ])('%s produces finite figures', async (name, options) => {
    const rows = await bench[name]!(options)
    expect(rows.length).toBeGreaterThan(0)
    for (const row of rows) {
      expect(Number.isFinite(row.framework)).toBe(true)
      // A row either has a baseline and a ratio, or neither (a reference figure printed as '—').
      if (row.baseline === null) expect(row.ratio).toBeNull()
      else expect(Number.isFinite(row.baseline) && Number.isFinite(row.ratio)).toBe(true)
    }
  })
})
