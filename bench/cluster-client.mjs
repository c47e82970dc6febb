// cluster-client: what a follower pays per invoke, next to a direct call in the leader, in the same run.
//   npm run build && node bench/cluster-client.mjs [--quick] [--json]
// This process becomes the leader (its DataClient is an in-memory echo, so only cluster-client's own cost is
// measured); a forked copy of this script becomes the follower and runs the same loops over the loopback
// connection. Sequential round trips give latency (p50/p99); a pipelined run (many calls in flight) gives
// throughput.
import { fork } from 'node:child_process'
import net from 'node:net'
import { fileURLToPath } from 'node:url'
import { cluster } from '../packages/cluster-client/dist/index.js'

const args = process.argv.slice(2)
const quick = args.includes('--quick')
const json = args.includes('--json')
const cfg = quick
  ? { warmup: 50, iterations: 300, pipelined: 1000, concurrency: 32 }
  : { warmup: 2000, iterations: 20000, pipelined: 50000, concurrency: 32 }

class EchoClient {
  async ready() {}
  async getData(query) {
    return { ...query, found: true }
  }
}

const create = (port) =>
  cluster(EchoClient, { name: 'bench', port, responseTimeout: 10_000 }).delegate('getData').create()

async function measure(client) {
  const query = (i) => ({ id: i, table: 'users', fields: ['name', 'email'] })
  for (let i = 0; i < cfg.warmup; i++) await client.getData(query(i))
  const lat = new Float64Array(cfg.iterations)
  const t0 = performance.now()
  for (let i = 0; i < cfg.iterations; i++) {
    const s = performance.now()
    await client.getData(query(i))
    lat[i] = performance.now() - s
  }
  const seqMs = performance.now() - t0
  lat.sort()
  let issued = 0
  const p0 = performance.now()
  await Promise.all(
    Array.from({ length: cfg.concurrency }, async () => {
      while (issued < cfg.pipelined) await client.getData(query(issued++))
    }),
  )
  const pipeMs = performance.now() - p0
  const pct = (p) => lat[Math.min(lat.length - 1, Math.floor(lat.length * p))] * 1000
  return {
    roundTripsPerSec: Math.round(cfg.iterations / (seqMs / 1000)),
    p50Us: Math.round(pct(0.5) * 10) / 10,
    p99Us: Math.round(pct(0.99) * 10) / 10,
    pipelinedPerSec: Math.round(cfg.pipelined / (pipeMs / 1000)),
  }
}

async function freePort() {
  const srv = net.createServer()
  await new Promise((r) => srv.listen(0, '127.0.0.1', r))
  const { port } = srv.address()
  await new Promise((r) => srv.close(r))
  return port
}

if (args.includes('--child')) {
  // The follower: join the leader on the given port, measure, report, leave.
  const port = Number(args[args.indexOf('--child') + 1])
  const client = create(port)
  await client.ready()
  if (client.isLeader) throw new Error('benchmark follower became leader: the parent did not hold the port')
  process.send({ result: await measure(client) })
  await client.close()
  process.disconnect()
} else {
  const port = await freePort()
  const leader = create(port)
  await leader.ready()
  if (!leader.isLeader) throw new Error(`port ${port} was taken before the benchmark leader could hold it`)
  const direct = await measure(leader)

  const env = { ...process.env }
  delete env.NODE_EXTRA_CA_CERTS
  const child = fork(fileURLToPath(import.meta.url), ['--child', String(port), ...(quick ? ['--quick'] : [])], {
    execArgv: [],
    env,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const follower = await new Promise((resolve, reject) => {
    child.once('message', (m) => resolve(m.result))
    child.once('exit', (code) => reject(new Error(`benchmark follower exited (${code}) before reporting`)))
  })
  await new Promise((r) => (child.exitCode === null ? child.once('exit', r) : r()))
  await leader.close()

  const ratio = {
    roundTrips: Math.round((direct.roundTripsPerSec / follower.roundTripsPerSec) * 10) / 10,
    p50: Math.round((follower.p50Us / direct.p50Us) * 10) / 10,
    pipelined: Math.round((direct.pipelinedPerSec / follower.pipelinedPerSec) * 10) / 10,
  }
  const result = { benchmark: 'cluster-client', method: 'getData', quick, ...cfg, direct, follower, followerSlowdown: ratio }
  if (json) {
    console.log(JSON.stringify(result))
  } else {
    const row = (label, r) =>
      `  ${label.padEnd(22)} ${String(r.roundTripsPerSec).padStart(10)} ${String(r.p50Us).padStart(9)} ${String(r.p99Us).padStart(9)} ${String(r.pipelinedPerSec).padStart(14)}`
    console.log(`cluster-client invoke "getData": ${cfg.iterations} sequential round trips, ${cfg.pipelined} pipelined (${cfg.concurrency} in flight)`)
    console.log(`  ${''.padEnd(22)} ${'trips/s'.padStart(10)} ${'p50 µs'.padStart(9)} ${'p99 µs'.padStart(9)} ${'pipelined/s'.padStart(14)}`)
    console.log(row('direct call in leader', direct))
    console.log(row('follower via leader', follower))
    console.log(
      `  follower vs direct: ${ratio.roundTrips}× fewer sequential round trips/s, p50 ${ratio.p50}× higher, ${ratio.pipelined}× fewer pipelined calls/s`,
    )
  }
}
