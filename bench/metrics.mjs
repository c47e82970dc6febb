// What metrics cost relayed calls (issue 26; the bar: ≤ 5 % lower throughput). Two figures, each metrics on vs off in
// the same run:
//   end to end  the same graph (caller → echo, every call relayed by the manager) run by two managers at once, one with
//               metrics on (the router's per caller/target/method accounting and latency histogram, prom-client's
//               default metrics of the manager process), one without; small calls, one at a time and 128 in flight,
//               measured inside the caller. Trials alternate between the two, swapping which goes first, and the
//               metrics side is scraped after each of its trials, as Prometheus would every 15 s. Each ratio is the
//               median of the ratios of adjacent on/off trials: on a shared machine, throughput swings with other
//               processes' load from one second to the next. A third manager, also without metrics, is measured in
//               the same rotation: its ratio to the first is the noise floor of this run (an A/A comparison), what
//               the on/off ratio must be read against. Also the manager's own CPU time per call (process.cpuUsage of
//               this process, where the managers run).
//   router      the router alone, in this process, relaying a call and its answer between two stand-in channels:
//               nanoseconds per call, with and without the meters — the accounting's own cost, free of any I/O.
// Alone: node bench/metrics.mjs [--trials N] [--count N]; `npm run bench` runs it as the "metrics" section.
import { CallMeters } from '../packages/core/dist/manager/call-meters.js'
import { Router } from '../packages/core/dist/manager/router.js'
import { manager } from './core.mjs'
import { fmt, median } from './lib.mjs'

const SHAPES = [
  ['small (100 B), one at a time', 100, 1],
  ['small (100 B), 128 in flight', 100, 128],
]

const graph = () => ({ echo: { entry: './echo.ts' }, caller: { entry: './caller.ts', dependsOn: ['echo'] } })

// One trial: the calling service's figures, and the manager's CPU microseconds per call meanwhile.
async function trial(m, count, bytes, inflight) {
  const cpu = process.cpuUsage()
  const result = await m.call('caller', 'run', count, bytes, inflight, 'string')
  const { user, system } = process.cpuUsage(cpu)
  // measureCalls makes the calls twice (warm-up, then timed) and one check: the CPU figure covers them all.
  return { ...result, cpuUs: (user + system) / (2 * count + 1) }
}

const row = (label, metric, on, off, ratios, unit, higherIsBetter) => ({
  case: `metrics on vs off: ${label} — ${metric}`,
  framework: median(on),
  baseline: median(off),
  baselineLabel: 'metrics off',
  ratio: median(ratios),
  unit,
  higherIsBetter,
})

// The three sides take turns; each round starts with the next one, so none is always first or last.
const ROTATIONS = [['off', 'on', 'offAgain'], ['on', 'offAgain', 'off'], ['offAgain', 'off', 'on']]

async function endToEnd({ trials, count }) {
  const managers = { off: manager(graph()), on: manager(graph(), { metrics: true }), offAgain: manager(graph()) }
  await Promise.all(Object.values(managers).map((m) => m.start()))
  const rows = []
  try {
    await managers.on.metrics() // prom-client's default metrics run from the first scrape on: measure with them
    for (const [label, bytes, inflight] of SHAPES) {
      const rounds = []
      for (let t = 0; t < trials; t++) {
        const round = {}
        for (const side of ROTATIONS[t % ROTATIONS.length]) {
          round[side] = await trial(managers[side], count, bytes, inflight)
          if (side === 'on') await managers.on.metrics()
        }
        rounds.push(round)
      }
      const figure = (metric, key, unit, higherIsBetter) => {
        const of = (side) => rounds.map((r) => r[side][key])
        const ratios = (side) => rounds.map((r) => r[side][key] / r.off[key])
        const aa = row(`relayed ${label}`, metric, of('offAgain'), of('off'), ratios('offAgain'), unit, higherIsBetter)
        return [
          row(`relayed ${label}`, metric, of('on'), of('off'), ratios('on'), unit, higherIsBetter),
          { ...aa, case: aa.case.replace('metrics on vs off', 'noise floor, metrics off vs off (A/A)'), framework: aa.framework, baselineLabel: 'metrics off' },
        ]
      }
      rows.push(...figure('round trips/s', 'rps', '/s', true))
      if (inflight === 1) rows.push(...figure('p50 latency', 'p50', 'ms', false))
      rows.push(...figure("manager's CPU per call", 'cpuUs', 'µs', false))
    }
    // The accounting ran: every relayed call of the metrics side was counted.
    const counted = /svc_calls_total\{caller="caller",target="echo",method="echo"\} (\d+)/.exec(await managers.on.metrics())
    if (!counted || Number(counted[1]) === 0) throw new Error('the metrics side counted no call: the bench measured nothing')
  } finally {
    await Promise.all(Object.values(managers).map((m) => m.close()))
  }
  return rows
}

// Nanoseconds per relayed call (request in, answer back) through a Router, with stand-in channels.
function routerAlone(meters, calls) {
  let forwarded
  const channel = (send) => ({ queuedBytes: 0, inFlight: 0, send, callStarted() { this.inFlight++ }, callEnded() { this.inFlight-- } })
  const callee = channel((m) => ((forwarded = m), true))
  const caller = channel(() => true)
  const target = { state: 'running', kind: 'node', pick: () => callee }
  const router = new Router({ target: () => target, mayCall: () => true, manager: async () => null }, undefined, meters)
  const request = { type: 'request', id: 0, to: 'echo', method: 'echo', args: [] }
  const t0 = performance.now()
  for (let i = 0; i < calls; i++) {
    request.id = i
    router.fromService('caller', caller, request)
    router.fromResponse('echo', callee, { type: 'response', id: forwarded.id, ok: true, value: null })
  }
  return ((performance.now() - t0) * 1e6) / calls
}

function router({ trials, calls }) {
  routerAlone(null, calls) // JIT-compile both paths before timing
  routerAlone(new CallMeters(), calls)
  const on = []
  const off = []
  for (let t = 0; t < trials; t++) {
    off.push(routerAlone(null, calls))
    on.push(routerAlone(new CallMeters(), calls))
  }
  return [row('the router alone, relaying a call and its answer', 'time per call', on, off, on.map((x, i) => x / off[i]), 'ns', false)]
}

export async function metricsCases({ trials = 30, count = 2000, routerCalls = 500_000 } = {}) {
  return [...(await endToEnd({ trials, count })), ...router({ trials, calls: routerCalls })]
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name, fallback) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : fallback)
  console.log('| case | measured | metrics off | ratio (median of pairs) |\n| --- | --- | --- | --- |')
  for (const r of await metricsCases({ trials: arg('--trials', 30), count: arg('--count', 2000) })) {
    console.log(`| ${r.case} | ${fmt(r.framework)} ${r.unit} | ${fmt(r.baseline)} ${r.unit} | ${r.ratio.toFixed(3)}× |`)
  }
}
