// Gateway throughput: JSON-RPC requests per second to `checker.getBestNode`, through HTTP (keep-alive)
// and through the Redis RPC channel (node-redis-rpc wire format). The backend is an in-process fake,
// so this measures the gateway itself, not a checker.
//
//   npm run build && node bench/gateway.mjs [--quick] [--concurrency N] [--seconds S] [--json]
//
// Redis: REDIS_URL (default redis://127.0.0.1:6379); the Redis part is skipped if it does not answer.

import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { Gateway } from '../packages/gateway/dist/index.js'
import { inWorker, loadSettings, redisAnswers, redisUrl } from './rpc-load.mjs'

const settings = loadSettings()

const bestNode = { id: 'btc-1', type: 'btc', url: 'http://127.0.0.1:18332', height: 812345, latencyMs: 12 }
const backend = {
  call: async (service, method) => {
    if (service === 'checker' && method === 'getBestNode') return bestNode
    throw Object.assign(new Error(`no ${service}.${method}`), { code: 'SVC_ERR_UNKNOWN_METHOD' })
  },
  services: async () => [],
}

async function main() {
  const withRedis = await redisAnswers()
  const scope = `bench-${randomUUID()}`
  const gateway = new Gateway({
    backend,
    config: { port: 0, expose: ['checker.getBestNode'], ...(withRedis ? { redis: { url: redisUrl, channel: 'gateway', scope } } : {}) },
    log: { debug() {}, info() {}, warn: (...a) => console.error('[gateway]', ...a), error: (...a) => console.error('[gateway]', ...a) },
  })
  const { port } = await gateway.start()
  const results = []
  try {
    results.push(await inWorker({ transport: 'http', port }, settings))
    if (withRedis) {
      if (!gateway.redis.connected) await once(gateway.redis, 'up')
      results.push(await inWorker({ transport: 'redis', channel: 'gateway', scope }, settings))
    }
  } finally {
    await gateway.stop()
  }

  if (settings.json) {
    console.log(JSON.stringify({ benchmark: 'gateway', method: 'checker.getBestNode', results, redis: withRedis ? 'measured' : 'skipped' }))
    return
  }
  console.log(`gateway JSON-RPC to checker.getBestNode (in-process backend, ${settings.concurrency} concurrent, ${settings.seconds}s after ${settings.warmupMs}ms warm-up)`)
  for (const r of results) {
    console.log(`  ${r.label.padEnd(6)} ${String(r.rps).padStart(8)} req/s  (${r.requests} requests, ${r.errors} errors)`)
  }
  if (!withRedis) console.log(`  redis  skipped: no Redis at ${redisUrl} (start redis-server or set REDIS_URL)`)
}

await main()
