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
import { Agent, request } from 'node:http'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads'
import { createJiti } from 'jiti'
import { ServicesManager } from '../packages/core/dist/index.js'
import { RedisRpcClient } from '../packages/gateway/dist/index.js'
import { here } from './lib.mjs'

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
const warmupMs = args.quick ? 300 : 1000
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const CHANNEL = 'node-manager'

// Runs `concurrency` loops of `one()` for warm-up + `seconds`; counts only the measured window.
async function drive(label, one) {
  let measuring = false
  let count = 0
  let errors = 0
  let firstError
  let stop = false
  const loop = async () => {
    while (!stop) {
      try {
        await one()
        if (measuring) count++
      } catch (error) {
        if (measuring) errors++
        firstError ??= String(error?.message ?? error)
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
  return { label, requests: count, errors, firstError, seconds: +elapsed.toFixed(3), rps: Math.round(count / elapsed), concurrency }
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

// The load generator runs in a worker thread so it does not share an event loop with the manager.
async function runClient({ transport, port, scope }) {
  if (transport === 'http') {
    const agent = new Agent({ keepAlive: true, maxSockets: concurrency })
    const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', method: 'checker.getBestNode', params: ['btc'], id: 1 }))
    const result = await drive('http', () => httpCall(agent, port, body))
    agent.destroy()
    return result
  }
  const client = await RedisRpcClient.connect({ url: redisUrl, channel: CHANNEL, scope, timeoutMs: 10_000 })
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
    redis: withRedis ? { url: redisUrl, channel: CHANNEL, scope } : null,
  })
  const manager = new ServicesManager(manifest, { cwd: EXAMPLE_DIR })
  const results = []
  try {
    await manager.start()
    // Baseline: the same call without the gateway (manager → checker process and back).
    results.push(await drive('direct', () => manager.call('checker', 'getBestNode', 'btc')))
    results.push(await inWorker({ transport: 'http', port: gatewayPort }))
    if (withRedis) {
      await redisChannelUp(manager)
      results.push(await inWorker({ transport: 'redis', scope }))
    }
  } finally {
    await manager.close()
    await rm(stateDir, { recursive: true, force: true })
  }

  if (args.json) {
    console.log(JSON.stringify({ benchmark: 'node-manager', method: 'checker.getBestNode', results, redis: withRedis ? 'measured' : 'skipped' }))
    return
  }
  console.log(`node-manager: gateway JSON-RPC to checker.getBestNode (real services, ${concurrency} concurrent, ${seconds}s after ${warmupMs}ms warm-up)`)
  for (const r of results) {
    console.log(`  ${r.label.padEnd(6)} ${String(r.rps).padStart(8)} req/s  (${r.requests} requests, ${r.errors} errors${r.firstError ? `, first: ${r.firstError}` : ''})`)
  }
  if (!withRedis) console.log(`  redis  skipped: no Redis at ${redisUrl} (start redis-server or set REDIS_URL)`)
}

if (isMainThread) await main()
else parentPort.postMessage(await runClient(workerData))
