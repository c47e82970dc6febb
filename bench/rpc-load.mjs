// A JSON-RPC load generator shared by the gateway benchmarks: `concurrency` loops call `checker.getBestNode`
// over HTTP (keep-alive) or the Redis RPC channel for a warm-up plus `seconds`; only the measured window counts.
// Clients run in a worker thread (this same file) so they never share an event loop with what they measure.
//
// Settings: --quick, --concurrency N (32), --seconds S (1 quick, 5 full), --json; REDIS_URL for Redis.

import { Agent, request } from 'node:http'
import { parseArgs } from 'node:util'
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads'
import { RedisRpcClient } from '../packages/gateway/dist/index.js'

export const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

export function loadSettings(argv = process.argv.slice(2)) {
  const { values: args } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      concurrency: { type: 'string', default: '32' },
      seconds: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  })
  return {
    json: args.json,
    concurrency: Number(args.concurrency),
    seconds: Number(args.seconds ?? (args.quick ? 1 : 5)),
    warmupMs: args.quick ? 300 : 1000,
  }
}

// Runs `concurrency` loops of `one()` for warm-up + `seconds`; counts only the measured window.
export async function drive(label, one, { concurrency, seconds, warmupMs }) {
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

/** Measures one transport in a worker thread: { transport: 'http', port } or { transport: 'redis', channel, scope }. */
export function inWorker(job, settings) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: { job, settings } })
    worker.once('message', resolve)
    worker.once('error', reject)
    worker.once('exit', (code) => code !== 0 && reject(new Error(`bench worker exited with ${code}`)))
  })
}

export async function redisAnswers() {
  const client = await RedisRpcClient.connect({ url: redisUrl, channel: 'probe', timeoutMs: 1 }).catch(() => undefined)
  await client?.close()
  return client !== undefined
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

async function runClient({ transport, port, channel, scope }, settings) {
  if (transport === 'http') {
    const agent = new Agent({ keepAlive: true, maxSockets: settings.concurrency })
    const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', method: 'checker.getBestNode', params: ['btc'], id: 1 }))
    const result = await drive('http', () => httpCall(agent, port, body), settings)
    agent.destroy()
    return result
  }
  const client = await RedisRpcClient.connect({ url: redisUrl, channel, scope, timeoutMs: 10_000 })
  const result = await drive('redis', () => client.call('checker.getBestNode', ['btc']), settings)
  await client.close()
  return result
}

if (!isMainThread && workerData?.job) parentPort.postMessage(await runClient(workerData.job, workerData.settings))
