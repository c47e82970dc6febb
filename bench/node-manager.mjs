// The node-manager example end to end: JSON-RPC requests per second to `checker.getBestNode` through the
// gateway, over HTTP (keep-alive, N concurrent) and over the Redis RPC channel. Unlike bench/gateway.mjs
// (in-process fake backend), every request here crosses gateway process → manager → checker process and back.
//
//   npm run build && node bench/node-manager.mjs [--quick] [--concurrency N] [--seconds S] [--json]
//
// The example runs under ServicesManager on free ports with a temp state dir, and is closed at the end.
// A `direct` row (manager.call from this process, no gateway) is the baseline the gateway rows compare with.
// Redis: REDIS_URL (default redis://127.0.0.1:6379); the Redis part is skipped with a note if it does not answer.

import { randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createJiti } from 'jiti'
import { ServicesManager } from '../packages/core/dist/index.js'
import { here } from './lib.mjs'
import { drive, inWorker, loadSettings, redisAnswers, redisUrl } from './rpc-load.mjs'

const settings = loadSettings()
const CHANNEL = 'node-manager'

async function freePorts(count) {
  const servers = []
  for (let i = 0; i < count; i++) {
    const server = createServer().listen(0, '127.0.0.1')
    await new Promise((r) => server.once('listening', r))
    servers.push(server)
  }
  const ports = servers.map((s) => s.address().port)
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))))
  return ports
}

// The gateway connects to Redis in the background: wait until its channel is subscribed.
async function redisChannelUp(manager) {
  const deadline = Date.now() + 10_000
  while (Date.now() < deadline) {
    if ((await manager.call('gateway', 'stats')).redis?.connected) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error('the gateway did not connect to Redis within 10 s')
}

async function main() {
  const withRedis = await redisAnswers()
  const scope = `bench-${randomUUID()}`
  const { nodeManagerManifest, EXAMPLE_DIR, SIM_NODE_IDS } = await createJiti(import.meta.url).import(here('../examples/node-manager/manifest.ts'))
  const [gatewayPort, ...sim] = await freePorts(1 + SIM_NODE_IDS.length)
  const stateDir = await mkdtemp(join(tmpdir(), 'nm-bench-'))
  const manifest = nodeManagerManifest({
    gatewayPort,
    simPorts: Object.fromEntries(SIM_NODE_IDS.map((id, i) => [id, sim[i]])),
    stateDir,
    // The Redis at REDIS_URL (not a redis-server of the graph) carries the channel; the store stays the embedded file,
    // so the shared Redis gets no nm: keys.
    redis: withRedis ? { url: redisUrl } : null,
    redisChannel: { name: CHANNEL, scope },
    store: { kind: 'file' },
  })
  const manager = new ServicesManager(manifest, { cwd: EXAMPLE_DIR })
  const results = []
  try {
    await manager.start()
    // Baseline: the same call without the gateway (manager → checker process and back).
    results.push(await drive('direct', () => manager.call('checker', 'getBestNode', 'btc'), settings))
    results.push(await inWorker({ transport: 'http', port: gatewayPort }, settings))
    if (withRedis) {
      await redisChannelUp(manager)
      results.push(await inWorker({ transport: 'redis', channel: CHANNEL, scope }, settings))
    }
  } finally {
    await manager.close()
    await rm(stateDir, { recursive: true, force: true })
  }

  if (settings.json) {
    console.log(JSON.stringify({ benchmark: 'node-manager', method: 'checker.getBestNode', results, redis: withRedis ? 'measured' : 'skipped' }))
    return
  }
  console.log(`node-manager: gateway JSON-RPC to checker.getBestNode (real services, ${settings.concurrency} concurrent, ${settings.seconds}s after ${settings.warmupMs}ms warm-up)`)
  for (const r of results) {
    console.log(`  ${r.label.padEnd(6)} ${String(r.rps).padStart(8)} req/s  (${r.requests} requests, ${r.errors} errors${r.firstError ? `, first: ${r.firstError}` : ''})`)
  }
  if (!withRedis) console.log(`  redis  skipped: no Redis at ${redisUrl} (start redis-server or set REDIS_URL)`)
}

await main()
