// Readiness detection latency (issue 23): how long after a port opens a tcp ready probe resolves, against the probe's
// interval. Each trial starts waitUntilReady on a closed port, then opens the port (a server in this process) at a
// random moment within two intervals, so that every phase between the opening and the probe's attempts is sampled;
// the latency is from the server's 'listening' to the wait resolving. Intervals alternate trial by trial.
// Alone: node bench/readiness.mjs [--trials N]; `npm run bench` runs it as the "readiness" section.
import { createServer } from 'node:net'
import { waitUntilReady } from '../packages/core/dist/probes/index.js'
import { median } from './lib.mjs'

const INTERVALS = [50, 250]

async function freePort() {
  const server = createServer().listen(0, '127.0.0.1')
  await new Promise((r) => server.once('listening', r))
  const { port } = server.address()
  await new Promise((r) => server.close(r))
  return port
}

// One detection: ms from the port opening to the probe resolving.
async function once(intervalMs) {
  const port = await freePort()
  const server = createServer((socket) => socket.destroy())
  let opened = 0
  const ready = waitUntilReady(
    { kind: 'tcp', host: '127.0.0.1', port, intervalMs, timeoutMs: 1_000, startGraceMs: 0 },
    { signal: new AbortController().signal },
  )
  setTimeout(() => server.listen(port, '127.0.0.1', () => (opened = performance.now())), Math.random() * 2 * intervalMs)
  await ready
  const ms = performance.now() - opened
  await new Promise((r) => server.close(r))
  return ms
}

const p95 = (xs) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.95))]

export async function readinessCases({ trials = 40 } = {}) {
  const samples = new Map(INTERVALS.map((i) => [i, []]))
  for (let t = 0; t < trials; t++) for (const interval of INTERVALS) samples.get(interval).push(await once(interval))
  return INTERVALS.flatMap((interval) => {
    const xs = samples.get(interval)
    const label = `readiness: port open → tcp probe resolved, intervalMs ${interval}`
    return [
      { case: `${label} (median)`, framework: median(xs), baseline: interval, baselineLabel: 'the interval', ratio: median(xs) / interval, unit: 'ms' },
      { case: `${label} (p95)`, framework: p95(xs), baseline: interval, baselineLabel: 'the interval', ratio: p95(xs) / interval, unit: 'ms' },
    ]
  })
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const trials = process.argv.includes('--trials') ? Number(process.argv[process.argv.indexOf('--trials') + 1]) : 40
  for (const r of await readinessCases({ trials })) {
    console.log(`| ${r.case} | ${r.framework.toFixed(1)} ms | ${r.baseline} ms (${r.baselineLabel}) | ${r.ratio.toFixed(2)}× |`)
  }
}
