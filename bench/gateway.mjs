// Gateway throughput: JSON-RPC requests per second to `checker.getBestNode`, through HTTP (keep-alive)
// and through the Redis RPC channel (node-redis-rpc wire format). The backend is an in-process fake,
// so this measures the gateway itself, not a checker.
//
//   npm run build && node bench/gateway.mjs [--quick] [--concurrency N] [--seconds S] [--json]
//
// Redis: REDIS_URL (default redis://127.0.0.1:6379); the Redis part is skipped if it does not answer.

import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { Agent, request } from 'node:http'
import { parseArgs } from 'node:util'
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads'
import { Gateway, RedisRpcClient } from '../packages/gateway/dist/index.js'

const { values: args } = isMainThread ? parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    concurrency: { type: 'string', default: '32' },
    seconds: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
}) : { values: workerData.args }
const concurrency = Number(args.concurrency)
const seconds = Number(args.seconds ?? (args.quick ? 1 : 5))
const warmupMs = args.quick ? 200 : 1000
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

const bestNode = { id: 'btc-1', type: 'btc', url: 'http://127.0.0.1:18332', height: 812345, latencyMs: 12 }
const backend = {
  call: async (service, method) => {
    if (service === 'checker' && method === 'getBestNode') return bestNode
    throw Object.assign(new Error(`no ${service}.${method}`), { code: 'SVC_ERR_UNKNOWN_METHOD' })
  },
  services: async () => [],
}

// Runs `concurrency` loops of `once()` for warm-up + `seconds`; counts only the measured window.
async function drive(label, one) {
  let measuring = false
  let count = 0
  let errors = 0
  let stop = false
  const loop = async () => {
    while (!stop) {
      try {
        await one()
        if (measuring) count++
      } catch {
        if (measuring) errors++
      }
    }
  }
  const loops = Array.from({ length: concurrency }, loop)
  await new Promise((r) => setTimeout(r, warmupMs))
  measuring = true
  const started = performance.now()
  await new Promise((r) => setTimeout(r, seconds * 1000))
  measuring = false
  const elapsed = (performance.now() - started) / 1000
  stop = true
  await Promise.all(loops)
  return { label, requests: count, errors, seconds: +elapsed.toFixed(3), rps: Math.round(count / elapsed), concurrency }
}

function httpCall(agent, port, body) {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/rpc', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length } },
      (res) => {
        const chunks = []
        res.on('data', (c) => chunks.push(c))
        res.on('end', () => {
          const reply = JSON.parse(Buffer.concat(chunks).toString())
          if (reply.error) reject(new Error(reply.error.message))
          else resolve(reply.result)
        })
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

// The load generator runs in a worker thread so client and gateway do not share one event loop.
async function runClient({ transport, port, scope }) {
  if (transport === 'http') {
    const agent = new Agent({ keepAlive: true, maxSockets: concurrency })
    const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', method: 'checker.getBestNode', params: ['btc'], id: 1 }))
    const result = await drive('http', () => httpCall(agent, port, body))
    agent.destroy()
    return result
  }
  const client = await RedisRpcClient.connect({ url: redisUrl, channel: 'gateway', scope, timeoutMs: 10_000 })
  const result = await drive('redis', () => client.call('checker.getBestNode', ['btc']))
  await client.close()
  return result
}

function inWorker(job) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: { ...job, args } })
    worker.once('message', resolve)
    worker.once('error', reject)
    worker.once('exit', (code) => code !== 0 && reject(new Error(`bench worker exited with ${code}`)))
  })
}

async function redisAnswers() {
  const client = await RedisRpcClient.connect({ url: redisUrl, channel: 'probe', timeoutMs: 1 }).catch(() => undefined)
  await client?.close()
  return client !== undefined
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
    results.push(await inWorker({ transport: 'http', port }))
    if (withRedis) {
      if (!gateway.redis.connected) await once(gateway.redis, 'up')
      results.push(await inWorker({ transport: 'redis', scope }))
    }
  } finally {
    await gateway.stop()
  }

  if (args.json) {
    console.log(JSON.stringify({ benchmark: 'gateway', method: 'checker.getBestNode', results, redis: withRedis ? 'measured' : 'skipped' }))
    return
  }
  console.log(`gateway JSON-RPC to checker.getBestNode (in-process backend, ${concurrency} concurrent, ${seconds}s after ${warmupMs}ms warm-up)`)
  for (const r of results) {
    console.log(`  ${r.label.padEnd(6)} ${String(r.rps).padStart(8)} req/s  (${r.requests} requests, ${r.errors} errors)`)
  }
  if (!withRedis) console.log(`  redis  skipped: no Redis at ${redisUrl} (start redis-server or set REDIS_URL)`)
}

if (isMainThread) await main()
else parentPort.postMessage(await runClient(workerData))
