// What a command service costs a start-up (issue 23): N command services, each a program that listens on a port
// (socat: sleep-like, it only accepts), started by the manager with a tcp ready probe — against the same N programs
// started with bare child_process.spawn and polled for their ports at the same interval, in the same run. Both
// figures run from the first spawn to the last port accepting. Alone: node bench/commands.mjs [--services N]
// [--trials N]; `npm run bench` runs it as the "command services" section.
import { execFileSync, spawn } from 'node:child_process'
import { connect, createServer } from 'node:net'
import { hostContainment } from '../packages/core/dist/container/containment.js'
import { manager } from './core.mjs'
import { median } from './lib.mjs'

const INTERVAL_MS = 20

const listener = (port) => ['socat', `TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr,fork`, 'EXEC:true']

async function freePorts(n) {
  const servers = await Promise.all(Array.from({ length: n }, () => new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => resolve(server))
  })))
  const ports = servers.map((s) => s.address().port)
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))))
  return ports
}

const accepts = (port) => new Promise((resolve) => {
  const socket = connect(port, '127.0.0.1')
  socket.once('connect', () => (socket.destroy(), resolve(true)))
  socket.once('error', () => resolve(false))
})

async function untilAccepts(port) {
  while (!(await accepts(port))) await new Promise((r) => setTimeout(r, INTERVAL_MS))
}

// `contained`: each inside the kernel container a service gets (container/containment.ts), to tell what the
// container costs from what the manager adds.
async function bare(ports, contained = false) {
  const wrap = contained ? hostContainment().wrap({ network: true, hide: '', stopSignal: 'SIGTERM' }) : []
  const t0 = performance.now()
  const children = ports.map((port) => {
    const [file, ...args] = [...wrap, ...listener(port)]
    return spawn(file, args, { stdio: 'ignore', detached: true })
  })
  await Promise.all(ports.map(untilAccepts))
  const ms = performance.now() - t0
  await Promise.all(children.map((child) => new Promise((resolve) => {
    child.once('exit', resolve)
    process.kill(-child.pid, 'SIGKILL')
  })))
  return ms
}

async function managed(ports) {
  const spec = Object.fromEntries(ports.map((port, i) => [`c${i}`, { command: listener(port), ready: { tcp: port, intervalMs: INTERVAL_MS } }]))
  const m = manager(spec)
  const t0 = performance.now()
  await m.start()
  const ms = performance.now() - t0
  await m.close()
  return ms
}

export async function commandCases({ trials = 7, services = 10 } = {}) {
  try {
    execFileSync('socat', ['-V'], { stdio: 'ignore' })
  } catch {
    throw new Error('socat is not installed (apt-get install socat)')
  }
  const raw = []
  const wrapped = []
  const ours = []
  for (let t = 0; t < trials; t++) {
    raw.push(await bare(await freePorts(services)))
    wrapped.push(await bare(await freePorts(services), true))
    ours.push(await managed(await freePorts(services)))
  }
  const label = `${services} command services (socat listening, tcp ready probe every ${INTERVAL_MS} ms) → all ready`
  const row = (what, baseline) => ({ case: `startup: ${label}, against ${what}`, framework: median(ours), baseline: median(baseline), ratio: median(ours) / median(baseline), unit: 'ms' })
  return [row(`${services} bare spawns polled alike`, raw), row(`${services} bare spawns in the same kernel container (${hostContainment().kind})`, wrapped)]
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name, fallback) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : fallback)
  for (const r of await commandCases({ trials: arg('--trials', 7), services: arg('--services', 10) })) {
    console.log(`| ${r.case} | ${r.framework.toFixed(1)} ms | ${r.baseline.toFixed(1)} ms | ${r.ratio.toFixed(2)}× |`)
  }
}
