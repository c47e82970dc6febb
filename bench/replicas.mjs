// Replicas (instances, listen, reload), each against a baseline measured in the same run, alternating trials:
//   reload under HTTP load  a steady keep-alive HTTP load (fixtures/http-load.mjs, a process of its own) on the bare
//                           JSON app (fixtures/http-json.cjs) while it is reloaded: requests that failed, and the p99
//                           during the reload against the steady p99 just before; services-cluster (`listen`, 2
//                           instances and 1) and PM2 7 `reload` (cluster mode, 2 instances; fork mode, 1); the app
//                           drains its connections as it stops, and for reference stops with Node's server.close();
//                           and the gateway package (JSON-RPC to an echo service) with `listen`, 2 instances and 1
//   HTTP requests/s         the steady windows of the same trials, a bare node:http child, and a second pass with a
//                           new connection per request; how requests spread over a service's two processes
//   CPU-bound calls         manager.call to a method that burns `burnMs` of CPU time, 2 instances vs 1
//   replace an instance     reload() of a 1-instance service until it resolves, vs a raw fork until its first message
// PM2 runs through fixtures/pm2-driver.mjs with its own PM2_HOME, as in bench/pm2.mjs, and is reaped the same way.
// Alone: node bench/replicas.mjs [--quick] [--json]; `npm run bench` runs it as the "replicas" section.
import { fork } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { manager } from './core.mjs'
import { fmt, forkHelper, freePort, here, median, rawForks } from './lib.mjs'
import { reapPm2 } from './pm2.mjs'

/** The sizes `npm run bench` and the CLI run (the smoke test runs smaller). */
export const replicasSizes = { quick: { trials: 1, seconds: 0.5, calls: 100 }, full: { trials: 3, seconds: 2, calls: 600 } }
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const WARM_MS = 300 // load before the steady window, discarded
const FRESH = ['sc2', 'sc1', 'pm2c', 'bare'] // the sides also measured with a new connection per request
const TAIL_MS = 300 // load after reload() resolves, still in the reload's window (closing processes, late resets)

/** A started manager of `services`; closed again if its start fails. */
async function started(services) {
  const m = manager(services)
  try {
    await m.start()
    return m
  } catch (error) {
    await m.close()
    throw error
  }
}

/**
 * The sides served the HTTP load, keyed; `up()` resolves { port, reload, down } (no reload for the bare child).
 * `close` is how the app stops (fixtures/http-json.cjs): 'drain' everywhere, and for reference Node's own
 * server.close() ('node') on the sides that reload without downtime.
 */
function httpSides(driver) {
  const ours = (instances, close) => async () => {
    const m = await started({ web: { entry: './http-service.mjs', instances, listen: { port: 0, host: '127.0.0.1' }, config: { close } } })
    return {
      port: m.service('web').listen.port,
      reload: async () => {
        const t0 = performance.now()
        await m.reload('web')
        return performance.now() - t0
      },
      down: () => m.close(),
    }
  }
  const pm2 = (mode, instances, close) => async () => {
    const port = await freePort()
    const name = `http-${mode}-${instances}-${close}`
    await driver.request('startHttp', name, mode, instances, port, close)
    return { port, reload: () => driver.request('reload', name), down: () => driver.request('remove', name) }
  }
  const bare = async () => {
    const port = await freePort()
    const env = { ...process.env, PORT: String(port), CLOSE: 'drain' }
    const child = fork(here('./fixtures/http-app.cjs'), { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv: [], env })
    await new Promise((resolve, reject) => {
      child.once('message', resolve)
      child.once('exit', (code) => reject(new Error(`the bare HTTP child exited (${code}) before it listened`)))
    })
    return { port, down: () => new Promise((r) => { child.once('exit', r); child.disconnect() }) }
  }
  // The gateway package (JSON-RPC over HTTP) in front of the echo service, served through `listen`.
  const gateway = (instances) => async () => {
    const gw = { entry: '@services-cluster/gateway', dependsOn: ['echo'], instances, listen: { port: 0, host: '127.0.0.1' }, config: { expose: ['echo.echo'] } }
    const m = await started({ echo: { entry: './echo.mjs' }, gw })
    return {
      port: m.service('gw').listen.port,
      rpc: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'echo.echo', params: ['hello'] }),
      reload: async () => {
        const t0 = performance.now()
        await m.reload('gw')
        return performance.now() - t0
      },
      down: () => m.close(),
    }
  }
  const NODE_CLOSE = ", app closing with Node's server.close()"
  return {
    sc2: { label: 'services-cluster, 2 instances', up: ours(2, 'drain') },
    sc1: { label: 'services-cluster, 1 instance', up: ours(1, 'drain') },
    pm2c: { label: 'PM2 cluster mode, 2 instances', up: pm2('cluster', 2, 'drain') },
    pm2f: { label: 'PM2 fork mode, 1 instance', up: pm2('fork', 1, 'drain') },
    bare: { label: 'a bare node:http child', up: bare },
    sc2Node: { label: `services-cluster, 2 instances${NODE_CLOSE}`, up: ours(2, 'node') },
    sc1Node: { label: `services-cluster, 1 instance${NODE_CLOSE}`, up: ours(1, 'node') },
    pm2cNode: { label: `PM2 cluster mode, 2 instances${NODE_CLOSE}`, up: pm2('cluster', 2, 'node') },
    gw2: { label: 'the gateway (JSON-RPC to echo.echo), 2 instances', up: gateway(2) },
    gw1: { label: 'the gateway (JSON-RPC to echo.echo), 1 instance', up: gateway(1) },
  }
}

/** One trial of one side: the steady window, then (if it reloads) the window from reload() to TAIL_MS after it. */
async function httpTrial(side, load, { seconds, concurrency, keepAlive = true, reload = true }) {
  const s = await side.up()
  try {
    await load.request('start', s.port, concurrency, keepAlive, s.rpc)
    try {
      await sleep(WARM_MS)
      await load.request('take')
      await sleep(seconds * 1000)
      const steady = await load.request('take')
      if (!s.reload || !reload) return { steady }
      const reloadMs = await s.reload()
      await sleep(TAIL_MS)
      const during = await load.request('take')
      return { steady, during, reloadMs }
    } finally {
      await load.request('stop')
    }
  } finally {
    await s.down()
  }
}

/** `calls` calls of `call()`, `inflight` at a time: calls per second. */
async function rate(call, { calls, inflight }) {
  let next = 0
  const t0 = performance.now()
  const worker = async () => {
    while (next++ < calls) await call()
  }
  await Promise.all(Array.from({ length: inflight }, worker))
  return calls / ((performance.now() - t0) / 1000)
}

/** CPU-bound calls/s through services-cluster: manager.call to `instances` instances of cpu-service.mjs. */
async function oursBurning(instances, { calls, inflight, burnMs }) {
  const m = manager({ cpu: { entry: './cpu-service.mjs', instances } })
  try {
    await m.start()
    const call = () => m.call('cpu', 'burn', burnMs)
    await rate(call, { calls: inflight * 2, inflight }) // warm: every instance's JIT, the relay
    return await rate(call, { calls, inflight })
  } finally {
    await m.close()
  }
}

/** The same with `children` bare forked children (raw-burn.mjs) over IPC, calls spread round-robin: the baseline. */
async function rawBurning(children, { calls, inflight, burnMs }) {
  const procs = Array.from({ length: children }, () => fork(here('./fixtures/raw-burn.mjs'), { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv: [] }))
  const pending = new Map()
  let id = 0
  try {
    await Promise.all(procs.map((c) => new Promise((r) => c.once('message', r))))
    for (const c of procs) c.on('message', (m) => { pending.get(m.id)?.(); pending.delete(m.id) })
    const call = () => new Promise((resolve) => { pending.set(++id, resolve); procs[id % children].send({ id, ms: burnMs }) })
    await rate(call, { calls: inflight * 2, inflight })
    return await rate(call, { calls, inflight })
  } finally {
    await Promise.all(procs.map((c) => new Promise((r) => { c.once('exit', r); c.disconnect() })))
  }
}

/** `sides` picks HTTP sides by key (the smoke test runs a few); rows that need a side left out are left out. */
export async function replicasCases({ trials = 1, seconds = 0.5, concurrency = 32, calls = 100, inflight = 16, burnMs = 3, sides: only } = {}) {
  const home = mkdtempSync(join(tmpdir(), 'svc-bench-pm2-'))
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^PM2_|^pm_/i.test(k)))
  const driver = forkHelper(here('./fixtures/pm2-driver.mjs'), [], { env: { ...env, PM2_HOME: home } })
  const load = forkHelper(here('./fixtures/http-load.mjs'))
  const sides = Object.fromEntries(Object.entries(httpSides(driver)).filter(([key]) => !only || only.includes(key)))
  const http = Object.fromEntries(Object.keys(sides).map((k) => [k, []]))
  // Steady load only, a new connection per request: how accept spreads connections over the processes.
  const fresh = Object.fromEntries(FRESH.filter((k) => sides[k]).map((k) => [k, []]))
  const cpu = { ours1: [], ours2: [], raw1: [], raw2: [] }
  const replace = { ours: [], raw: [] }
  const load1 = [loadavg()[0]] // the machine is shared: how busy it was, sampled before and after each trial
  try {
    await Promise.all([driver.ready, load.ready])
    for (let t = 0; t < trials; t++) {
      for (const [key, side] of Object.entries(sides)) http[key].push(await httpTrial(side, load, { seconds, concurrency }))
      for (const key of Object.keys(fresh)) fresh[key].push(await httpTrial(sides[key], load, { seconds, concurrency, keepAlive: false, reload: false }))
      // 1 and 2 alternate in order from trial to trial, so that a drifting machine favours neither.
      for (const n of t % 2 ? [2, 1] : [1, 2]) {
        cpu[`raw${n}`].push(await rawBurning(n, { calls, inflight, burnMs }))
        cpu[`ours${n}`].push(await oursBurning(n, { calls, inflight, burnMs }))
      }
      replace.raw.push(await rawForks(1))
      const m = manager({ echo: { entry: './echo.mjs' } })
      try {
        await m.start()
        const t0 = performance.now()
        await m.reload('echo')
        replace.ours.push(performance.now() - t0)
      } finally {
        await m.close()
      }
      load1.push(loadavg()[0])
    }
  } finally {
    await Promise.all([load.close(), driver.close()])
    const left = reapPm2(home)
    rmSync(home, { recursive: true, force: true })
    if (left.length) process.stderr.write(`bench: pm2 left ${left.length} process(es) behind (${left.join(', ')}): SIGKILLed\n`)
  }
  const busy = { case: "replicas: the machine's 1-minute load average while the section ran (median of samples between trials)", framework: median(load1), unit: `(${cpus().length} cores)`, baseline: null, ratio: null }
  return [busy, ...reloadRows(sides, http), ...rpsRows(sides, http, `${concurrency} keep-alive connections`), ...rpsRows(fresh, fresh, `${concurrency} loops, a new connection per request`), ...cpuRows(cpu, { inflight, burnMs }), ...replaceRows(replace)]
}

function reloadRows(sides, http) {
  const rows = []
  for (const key of ['sc2', 'sc1', 'pm2c', 'pm2f', 'sc2Node', 'sc1Node', 'pm2cNode', 'gw2', 'gw1']) {
    if (!sides[key]) continue
    const trials = http[key]
    const during = trials.map((t) => t.during)
    const sent = during.reduce((n, w) => n + w.ok + w.failed, 0)
    const failed = during.reduce((n, w) => n + w.failed, 0)
    const codes = {}
    for (const w of during) for (const [code, n] of Object.entries(w.codes)) codes[code] = (codes[code] ?? 0) + n
    const span = median(during.map((w) => w.failSpanMs))
    const why = [...Object.entries(codes).map(([code, n]) => `${code} ${n}`), ...(failed ? [`first to last in ${fmt(span)} ms`] : [])].join(', ')
    const label = `replicas: reload under HTTP load, ${sides[key].label}`
    // The target is 0: no baseline, no ratio; the unit carries how many were sent and how the failures failed.
    rows.push({ case: `${label} — requests failed`, framework: failed, unit: `of ${sent} failed${why ? ` (${why})` : ''}`, baseline: null, ratio: null })
    const [p99, steady] = [median(during.map((w) => w.p99)), median(trials.map((t) => t.steady.p99))]
    rows.push({ case: `${label} — reload → resolved`, framework: median(trials.map((t) => t.reloadMs)), unit: 'ms', baseline: null, ratio: null })
    rows.push({ case: `${label} — p99 during the reload vs steady p99 (target ≤ 3×)`, framework: p99, baseline: steady, baselineLabel: 'steady, same trial', ratio: p99 / steady, unit: 'ms' })
  }
  if (!sides.sc2 || !sides.pm2c) return rows
  const [ours, pm2] = [median(http.sc2.map((t) => t.reloadMs)), median(http.pm2c.map((t) => t.reloadMs))]
  rows.push({ case: 'replicas: reload of 2 instances under HTTP load, reload() → resolved, vs PM2 cluster mode reload', framework: ours, baseline: pm2, baselineLabel: 'PM2', ratio: ours / pm2, unit: 'ms' })
  return rows
}

function rpsRows(sides, http, how) {
  const rps = (key) => median(http[key].map((t) => t.steady.rps))
  const row = (a, b, what, baselineLabel) => ({
    case: `replicas: HTTP requests/s (${how}), ${what}`,
    framework: rps(a),
    baseline: rps(b),
    baselineLabel,
    ratio: rps(a) / rps(b),
    unit: '/s',
    higherIsBetter: true,
  })
  // The generator shares the cores with the servers: how much CPU it got with one server process and with two.
  const generator = (keys, what) => {
    const present = keys.filter((k) => sides[k])
    if (!present.length) return []
    const cores = median(present.flatMap((k) => http[k].map((t) => t.steady.cores)))
    return [{ case: `replicas: HTTP load generator's own CPU in the steady windows (${how}), ${what} (of ${cpus().length} cores)`, framework: cores, unit: 'cores', baseline: null, ratio: null }]
  }
  const busiest = (key, what) =>
    sides[key] ? [{ case: `replicas: HTTP share of steady requests answered by the busiest of the 2 processes (${how}), ${what}`, framework: median(http[key].map((t) => t.steady.busiest)) * 100, unit: '%', baseline: null, ratio: null }] : []
  return [
    ...busiest('sc2', 'services-cluster (kernel spreads connections, shared socket)'),
    ...busiest('pm2c', "PM2 cluster mode (Node cluster's primary, round-robin)"),
    ...generator(['sc1', 'pm2f', 'bare', 'sc1Node'], 'one server process'),
    ...generator(['sc2', 'pm2c', 'sc2Node', 'pm2cNode'], 'two server processes'),
    ['sc2', 'sc1', 'services-cluster 2 instances vs 1', '1 instance'],
    ['sc2', 'pm2c', 'services-cluster 2 instances vs PM2 cluster mode 2 instances', 'PM2 cluster'],
    ['sc1', 'bare', 'services-cluster 1 instance vs a bare node:http child', 'bare child'],
    ['pm2c', 'bare', 'PM2 cluster mode 2 instances vs a bare node:http child', 'bare child'],
    ['gw2', 'gw1', 'the gateway (JSON-RPC to echo.echo through the manager) 2 instances vs 1', '1 instance'],
    ['gw1', 'sc1', 'the gateway 1 instance vs the bare app as a 1-instance service', 'bare app'],
  ]
    .filter((r) => !Array.isArray(r) || (sides[r[0]] && sides[r[1]]))
    .map((r) => (Array.isArray(r) ? row(...r) : r))
}

function cpuRows(cpu, { inflight, burnMs }) {
  const m = Object.fromEntries(Object.entries(cpu).map(([k, xs]) => [k, median(xs)]))
  const label = `replicas: CPU-bound calls/s (${burnMs} ms of CPU each, ${inflight} in flight)`
  const row = (what, a, b, baselineLabel) => ({ case: `${label}, ${what}`, framework: m[a], baseline: m[b], baselineLabel, ratio: m[a] / m[b], unit: '/s', higherIsBetter: true })
  return [
    row('manager.call, 2 instances vs 1 (target ≥ 1.7×)', 'ours2', 'ours1', '1 instance'),
    // What this machine gives two processes at this moment: the ceiling of the row above.
    row('bare forked children over IPC, 2 vs 1 (reference)', 'raw2', 'raw1', '1 child'),
    row('manager.call to 2 instances vs 2 bare forked children', 'ours2', 'raw2', '2 bare children'),
  ]
}

function replaceRows(replace) {
  const [ours, raw] = [median(replace.ours), median(replace.raw)]
  return [{ case: 'replicas: replace an instance, reload() of a 1-instance service → resolved, vs raw fork of 1', framework: ours, baseline: raw, ratio: ours / raw, unit: 'ms' }]
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const quick = process.argv.includes('--quick')
  const opts = replicasSizes[quick ? 'quick' : 'full']
  const rows = await replicasCases(opts)
  if (process.argv.includes('--json')) console.log(JSON.stringify({ benchmark: 'replicas', opts, rows }))
  else {
    for (const r of rows) {
      const base = r.baseline == null ? '—' : `${fmt(r.baseline)} ${r.unit}${r.baselineLabel ? ` (${r.baselineLabel})` : ''}`
      console.log(`| ${r.case} | ${fmt(r.framework)} ${r.unit} | ${base} | ${r.ratio == null ? '—' : `${r.ratio.toFixed(2)}×`} |`)
    }
  }
}
