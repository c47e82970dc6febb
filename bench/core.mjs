// Core benchmarks, each against a baseline measured in the same run, alternating trials, medians reported.
//   calls     service→service round trips (relayed by the manager) vs a raw one-hop fork ping-pong; for reference,
//             the same loop through a minimal hand-written relay (over JSON IPC, and forwarding unparsed bytes)
//   recovery  SIGKILL of a dependency → detected; → every dependent running again; vs one raw fork
//   startup   N independent services / N services in levels → all running; vs N concurrent raw forks; and the
//             manager's worst event-loop stall meanwhile, against the absolute target (25 ms)
//   memory    RSS of an idle service vs a bare Node child with an IPC channel; RSS of a manager running N services
//             vs a bare Node parent of N forked children
import pidusage from 'pidusage'
import { fork } from 'node:child_process'
import { rmSync } from 'node:fs'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ServicesManager } from '../packages/core/dist/index.js'
import { callCount, callRows, callShapes, forkHelper, here, median, rawForks, rawKillToExit, rawPingPong, rawRelay } from './lib.mjs'

const cwd = here('./fixtures/')
const quiet = { prewarm: true }
/** The benchmark service, compiled (what production runs) and as TypeScript (loaded through jiti). */
export const JS_SERVICE = './echo.mjs'
export const TS_SERVICE = './echo.ts'

// One state directory per benchmark process (run records), removed when the process ends (or by whoever imported
// this module, where 'exit' does not reach it: jest).
export const STATE_DIR = join(tmpdir(), `svc-bench-${process.pid}`)
export const removeStateDir = () => rmSync(STATE_DIR, { recursive: true, force: true })
process.once('exit', removeStateDir)

export function manager(services, options = {}) {
  return new ServicesManager({ services, stateDir: STATE_DIR }, { cwd, ...quiet, ...options })
}

export async function callCases({ trials, count }) {
  const rows = []
  // Relayed: every call goes caller → manager → echo → manager → caller. Direct: echo has `direct: true`, so after
  // the first call the caller talks to it over a Unix socket and the manager is off the path.
  const relayed = manager({ echo: { entry: './echo.ts' }, caller: { entry: './caller.ts', dependsOn: ['echo'] } })
  const direct = manager({ echo: { entry: './echo.ts', direct: true }, caller: { entry: './caller.ts', dependsOn: ['echo'] } })
  const socketClient = forkHelper(here('./fixtures/raw-socket-client.mjs'))
  await relayed.start()
  await direct.start()
  await socketClient.ready
  try {
    await direct.call('caller', 'run', 10, 10, 1) // opens the direct channel
    for (const [label, bytes, inflight, kind] of callShapes) {
      const n = callCount(count, bytes)
      const [fw, dfw, raw, rawSocket, ipcRelay, byteRelay] = [[], [], [], [], [], []]
      for (let t = 0; t < trials; t++) {
        raw.push(await rawPingPong(n, bytes, inflight, kind))
        ipcRelay.push(await rawRelay(n, bytes, inflight, 'ipc', kind))
        byteRelay.push(await rawRelay(n, bytes, inflight, 'bytes', kind))
        fw.push(await relayed.call('caller', 'run', n, bytes, inflight, kind))
        rawSocket.push(await socketClient.request('run', n, bytes, inflight, kind))
        dfw.push(await direct.call('caller', 'run', n, bytes, inflight, kind))
      }
      rows.push(...callRows(label, inflight, fw, raw))
      // For reference, what a straightforward relay costs here: the same loop through a minimal hand-written relay.
      for (const [name, results] of [['minimal IPC relay', ipcRelay], ['minimal byte-forwarding relay', byteRelay]]) {
        rows.push(...callRows(label, inflight, results, raw).map(({ shape: _shape, ...r }) => ({ ...r, case: r.case.replace('calls:', `calls, ${name} (reference):`) })))
      }
      rows.push(...callRows(label, inflight, dfw, raw).map((r) => ({ ...r, case: r.case.replace('calls:', 'calls, direct channel:'), ours: 'direct channel' })))
      // The direct channel's own floor: the same ping-pong over a bare Unix socket (target ≥ 0.85× throughput).
      rows.push(
        ...callRows(label, inflight, dfw, rawSocket).map(({ shape: _shape, ...r }) => ({
          ...r,
          case: r.case.replace('calls:', 'calls, direct channel vs raw Unix socket:'),
        })),
      )
    }
  } finally {
    await relayed.close()
    await direct.close()
    await socketClient.close()
  }
  return rows
}

export async function recoveryCases({ trials }) {
  const rows = []
  for (const warmSpare of [false, true]) {
    const detect = []
    const back = []
    const raw = []
    const raw3 = [] // the floor for this graph: forking the three processes a cascade replaces, concurrently
    const rawDetect = [] // the floor of detection: a bare child's SIGKILL → its exit event
    const restart = { backoff: { initialMs: 0, jitter: 0 }, maxRestarts: 1000, warmSpare }
    const m = manager({
      dep: { entry: JS_SERVICE, restart },
      a: { entry: JS_SERVICE, dependsOn: ['dep'], restart },
      b: { entry: JS_SERVICE, dependsOn: ['dep'], restart },
    })
    await m.start()
    try {
      for (let t = 0; t < trials; t++) {
        raw.push(await rawForks(1))
        if (!warmSpare) raw3.push(await rawForks(3))
        if (!warmSpare) rawDetect.push(await rawKillToExit())
        if (warmSpare) await sparesBooted(m)
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
    if (!warmSpare) {
      rows.push({ case: 'recovery: dependency SIGKILL → crash detected', framework: median(detect), baseline: rawMs, ratio: median(detect) / rawMs, unit: 'ms' })
      const floor = median(rawDetect)
      rows.push({ case: "recovery: dependency SIGKILL → crash detected, vs a bare child's SIGKILL → its exit event", framework: median(detect), baseline: floor, ratio: median(detect) / floor, unit: 'ms' })
    }
    const label = warmSpare ? 'dependents running again, with restart.warmSpare' : 'dependents running again'
    rows.push({ case: `recovery: dependency SIGKILL → ${label}`, framework: median(back), baseline: rawMs, ratio: median(back) / rawMs, unit: 'ms' })
    if (!warmSpare) {
      const floor = median(raw3)
      rows.push({ case: 'recovery: dependency SIGKILL → dependents running again, vs 3 concurrent raw forks (the processes it replaces)', framework: median(back), baseline: floor, ratio: median(back) / floor, unit: 'ms' })
    }
  }
  return rows
}

// Spares boot a moment after each start; a trial waits for them like a real crash would find them.
function sparesBooted(m) {
  return new Promise((resolve) => {
    const check = () => (m.services().every((s) => s.sparePid !== null) ? resolve() : setTimeout(check, 10))
    check()
  })
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
  const perLevel = Math.max(1, Math.floor(services / 10))
  const flat = (entry) => Object.fromEntries(Array.from({ length: services }, (_, i) => [`s${i}`, { entry }]))
  const levels = (entry) =>
    Object.fromEntries(
      Array.from({ length: services }, (_, i) => {
        const level = Math.floor(i / perLevel)
        return [`s${i}`, { entry, dependsOn: level > 0 ? [`s${(level - 1) * perLevel}`] : [] }]
      }),
    )
  // Compiled JavaScript is what production runs; TypeScript services load jiti in every process (see docs).
  // The last case forks every process in the manager itself (no spawner process): what the spawner changes.
  for (const [label, spec, options] of [
    [`${services} independent services`, flat(JS_SERVICE)],
    [`${services} services in 10 levels`, levels(JS_SERVICE)],
    [`${services} independent TypeScript services (jiti)`, flat(TS_SERVICE)],
    [`${services} independent services, forked by the manager itself (spawner: false)`, flat(JS_SERVICE), { spawner: false }],
  ]) {
    const fw = []
    const raw = []
    const stall = []
    const rawStall = []
    for (let t = 0; t < trials; t++) {
      raw.push(await stallDuring(rawStall, () => rawForks(services)))
      const m = manager(spec, options)
      try {
        fw.push(await stallDuring(stall, async () => {
          const t0 = performance.now()
          await m.start()
          return performance.now() - t0
        }))
      } finally {
        await m.close()
      }
    }
    rows.push({ case: `startup: ${label} → all running`, framework: median(fw), baseline: median(raw), ratio: median(fw) / median(raw), unit: 'ms' })
    // The target is absolute (≤ 25 ms), so the target is the reference: a ratio ≤ 1 meets it.
    rows.push({ case: `startup: ${label} — manager's worst event-loop stall`, framework: median(stall), baseline: STALL_TARGET_MS, baselineLabel: 'target', ratio: median(stall) / STALL_TARGET_MS, unit: 'ms' })
    rows.push({ case: `startup: ${label} — for reference, worst event-loop stall of the raw concurrent fork`, framework: median(rawStall), baseline: null, ratio: null, unit: 'ms' })
  }
  // The baseline child is an ES module, like the services; a CommonJS child skips Node's ES-module loader and boots
  // a little cheaper. Printed so that the baseline's own choice is visible.
  const [esm, cjs] = [[], []]
  for (let t = 0; t < trials; t++) {
    esm.push(await rawForks(services))
    cjs.push(await rawForks(services, here('./fixtures/raw-ready.cjs')))
  }
  rows.push({ case: `startup: for reference, raw fork of ${services} ES-module children vs of ${services} CommonJS children`, framework: median(esm), baseline: median(cjs), ratio: median(esm) / median(cjs), unit: 'ms' })
  return rows
}

const STALL_TARGET_MS = 25

/** Runs `fn` under a 1 ms event-loop delay monitor; pushes the worst stall seen (ms) onto `into`; returns fn's result. */
async function stallDuring(into, fn) {
  const h = monitorEventLoopDelay({ resolution: 1 })
  h.enable()
  // The monitor records nothing for its first interval: let that pass before fn, or fn's synchronous part (all
  // of a raw fork loop; the first forks of a start-up) would go unseen.
  await new Promise((r) => setTimeout(r, 10))
  try {
    return await fn()
  } finally {
    h.disable()
    into.push(h.max / 1e6)
  }
}

export async function memoryCases({ services = 50 } = {}) {
  const rows = []
  const m = manager({ js: { entry: JS_SERVICE }, ts: { entry: TS_SERVICE } })
  await m.start()
  const child = fork(here('./fixtures/raw-echo.mjs'), { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv: [] })
  await new Promise((r) => child.once('message', r))
  try {
    const bare = (await pidusage(child.pid)).memory
    for (const [name, label] of [['js', 'idle service RSS'], ['ts', 'idle TypeScript service (jiti) RSS']]) {
      const service = (await pidusage(m.service(name).pid)).memory
      rows.push({ case: `memory: ${label} vs bare child with IPC`, framework: service / 2 ** 20, baseline: bare / 2 ** 20, ratio: service / bare, unit: 'MiB' })
    }
  } finally {
    child.disconnect()
    await m.close()
  }
  // The supervising process itself, each measured in a fresh process (this one has run other cases): a manager
  // with `services` services running vs a bare Node parent holding as many forked children with IPC channels.
  // The manager forks through its spawner process: with it, the supervision costs two processes.
  const [parent, raw] = [await parentRss('manager', services), await parentRss('raw', services)]
  rows.push({ case: `memory: manager process RSS with ${services} services running vs bare parent of ${services} forked children`, framework: parent.rss / 2 ** 20, baseline: raw.rss / 2 ** 20, ratio: parent.rss / raw.rss, unit: 'MiB' })
  const both = parent.rss + parent.spawnerRss
  rows.push({ case: `memory: manager + spawner process RSS with ${services} services running vs bare parent of ${services} forked children`, framework: both / 2 ** 20, baseline: raw.rss / 2 ** 20, ratio: both / raw.rss, unit: 'MiB' })
  return rows
}

async function parentRss(mode, services) {
  const parent = forkHelper(here('./fixtures/parent-rss.mjs'), [mode, services], { execArgv: ['--expose-gc'] })
  try {
    await parent.ready
    return { rss: await parent.request('rss'), spawnerRss: await parent.request('spawnerRss') }
  } finally {
    await parent.close()
  }
}
