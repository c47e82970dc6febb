// Core benchmarks, each against a baseline measured in the same run, alternating trials, medians reported.
//   calls     service→service round trips (relayed by the manager) vs a raw one-hop fork ping-pong
//   recovery  SIGKILL of a dependency → detected; → every dependent running again; vs one raw fork
//   startup   N independent services / N services in levels → all running; vs N concurrent raw forks
//   memory    RSS of an idle service vs a bare Node child with an IPC channel
import pidusage from 'pidusage'
import { fork } from 'node:child_process'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ServicesManager } from '../packages/core/dist/index.js'
import { here, median, rawForks, rawPingPong } from './lib.mjs'

const cwd = here('./fixtures/')
const quiet = { prewarm: true }

function manager(services) {
  return new ServicesManager({ services, stateDir: join(tmpdir(), `svc-bench-${process.pid}`) }, { cwd, ...quiet })
}

export async function callCases({ trials, count }) {
  const rows = []
  const m = manager({ echo: { entry: './echo.ts' }, caller: { entry: './caller.ts', dependsOn: ['echo'] } })
  await m.start()
  try {
    for (const [label, bytes, inflight] of [
      ['small (100 B), one at a time', 100, 1],
      ['small (100 B), 128 in flight', 100, 128],
      ['64 KiB, one at a time', 65536, 1],
      ['64 KiB, 128 in flight', 65536, 128],
    ]) {
      const n = bytes > 1000 ? Math.max(50, Math.floor(count / 10)) : count
      const fw = []
      const raw = []
      for (let t = 0; t < trials; t++) {
        raw.push(await rawPingPong(n, bytes, inflight))
        fw.push(await m.call('caller', 'run', n, bytes, inflight))
      }
      const f = { rps: median(fw.map((x) => x.rps)), p50: median(fw.map((x) => x.p50)), p99: median(fw.map((x) => x.p99)) }
      const r = { rps: median(raw.map((x) => x.rps)), p50: median(raw.map((x) => x.p50)), p99: median(raw.map((x) => x.p99)) }
      rows.push({ case: `calls: ${label} — round trips/s`, framework: f.rps, baseline: r.rps, ratio: f.rps / r.rps, unit: '/s', higherIsBetter: true })
      if (inflight === 1) {
        rows.push({ case: `calls: ${label} — p50 latency`, framework: f.p50, baseline: r.p50, ratio: f.p50 / r.p50, unit: 'ms' })
        rows.push({ case: `calls: ${label} — p99 latency`, framework: f.p99, baseline: r.p99, ratio: f.p99 / r.p99, unit: 'ms' })
      }
    }
  } finally {
    await m.close()
  }
  return rows
}

export async function recoveryCases({ trials }) {
  const detect = []
  const back = []
  const raw = []
  const m = manager({
    dep: { entry: './echo.ts', restart: { backoff: { initialMs: 0, jitter: 0 }, maxRestarts: 1000 } },
    a: { entry: './echo.ts', dependsOn: ['dep'] },
    b: { entry: './echo.ts', dependsOn: ['dep'] },
  })
  await m.start()
  try {
    for (let t = 0; t < trials; t++) {
      raw.push(await rawForks(1))
      const t0 = performance.now()
      const crashed = new Promise((r) => m.once('crash', () => r(performance.now() - t0)))
      const running = Promise.all(['dep', 'a', 'b'].map((n) => waitRunningAgain(m, n)))
      m.kill('dep', 'SIGKILL')
      detect.push(await crashed)
      await running
      back.push(performance.now() - t0)
    }
  } finally {
    await m.close()
  }
  const rawMs = median(raw)
  return [
    { case: 'recovery: dependency SIGKILL → crash detected', framework: median(detect), baseline: rawMs, ratio: median(detect) / rawMs, unit: 'ms' },
    { case: 'recovery: dependency SIGKILL → dependents running again', framework: median(back), baseline: rawMs, ratio: median(back) / rawMs, unit: 'ms' },
  ]
}

function waitRunningAgain(m, name) {
  return new Promise((resolve) => {
    let closed = false
    const on = (c) => {
      if (c.service !== name) return
      if (c.to === 'closed') closed = true
      if (closed && c.to === 'running') {
        m.off('state', on)
        resolve()
      }
    }
    m.on('state', on)
  })
}

export async function startupCases({ trials, services }) {
  const rows = []
  const flat = {}
  const levels = {}
  const perLevel = Math.max(1, Math.floor(services / 10))
  for (let i = 0; i < services; i++) {
    flat[`s${i}`] = { entry: './echo.ts' }
    const level = Math.floor(i / perLevel)
    levels[`s${i}`] = { entry: './echo.ts', dependsOn: level > 0 ? [`s${(level - 1) * perLevel}`] : [] }
  }
  for (const [label, spec] of [[`${services} independent services`, flat], [`${services} services in 10 levels`, levels]]) {
    const fw = []
    const raw = []
    for (let t = 0; t < trials; t++) {
      raw.push(await rawForks(services))
      const m = manager(spec)
      const t0 = performance.now()
      await m.start()
      fw.push(performance.now() - t0)
      await m.close()
    }
    rows.push({ case: `startup: ${label} → all running`, framework: median(fw), baseline: median(raw), ratio: median(fw) / median(raw), unit: 'ms' })
  }
  return rows
}

export async function memoryCases() {
  const m = manager({ idle: { entry: './echo.ts' } })
  await m.start()
  const child = fork(here('./fixtures/raw-echo.mjs'), { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv: [] })
  await new Promise((r) => child.once('message', r))
  try {
    const service = (await pidusage(m.service('idle').pid)).memory
    const bare = (await pidusage(child.pid)).memory
    return [{ case: 'memory: idle service RSS vs bare child with IPC', framework: service / 2 ** 20, baseline: bare / 2 ** 20, ratio: service / bare, unit: 'MiB' }]
  } finally {
    child.disconnect()
    await m.close()
  }
}
