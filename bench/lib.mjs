// Shared benchmark helpers: trials, medians, ratios, a raw-fork baseline.
import { fork } from 'node:child_process'
import { rmSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { readFrames, writeFrame } from './fixtures/frames.mjs'
import { measureCalls } from './fixtures/call-loop.mjs'

export { measureCalls }

export const here = (p) => fileURLToPath(new URL(p, import.meta.url))
export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/** Forks `n` bare Node children at once and resolves when every one has sent its first message. */
export async function rawForks(n, script = here('./fixtures/raw-ready.mjs')) {
  const t0 = performance.now()
  const children = await Promise.all(
    Array.from({ length: n }, () => new Promise((resolve, reject) => {
      const c = fork(script, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv: [] })
      c.once('message', () => resolve(c))
      c.once('error', reject)
    })),
  )
  const ms = performance.now() - t0
  await Promise.all(children.map((c) => new Promise((r) => { c.once('exit', r); c.disconnect() })))
  return ms
}

/** SIGKILL of a bare forked child → its 'exit' event in the parent (ms): the floor of crash detection. */
export async function rawKillToExit(script = here('./fixtures/raw-ready.mjs')) {
  const child = fork(script, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv: [] })
  await new Promise((r) => child.once('message', r))
  const t0 = performance.now()
  const exited = new Promise((r) => child.once('exit', () => r(performance.now() - t0)))
  child.kill('SIGKILL')
  return exited
}

/** One-hop JSON ping-pong with a forked child: the floor any relayed call is compared with. */
export async function rawPingPong(count, payloadBytes, inflight, kind) {
  const child = fork(here('./fixtures/raw-echo.mjs'), { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv: [] })
  await new Promise((r) => child.once('message', r))
  const { send, settle } = correlate()
  child.on('message', settle)
  try {
    return await measureCalls((payload) => send((message) => child.send(message), payload), count, payloadBytes, inflight, kind)
  } finally {
    child.disconnect()
  }
}

/**
 * Request ids for a ping-pong: `send` resolves with the echoed payload when `settle` sees the echo with the same id.
 * The caller gets the reply, as from a real call: resolving with nothing instead spared the baselines a cost every
 * real caller pays — with many calls in flight, a call's promise outlives a few young-generation collections, and
 * the reply it is resolved with then survives until the next full one (64 KiB replies, 128 in flight: 14–17 % of
 * the raw ping-pong's throughput; docs/benchmarks.md).
 */
function correlate() {
  const pending = new Map()
  let id = 0
  return {
    send: (write, payload) =>
      new Promise((resolve) => {
        pending.set(++id, resolve)
        write({ id, payload })
      }),
    settle: (m) => {
      pending.get(m.id)?.(m.payload)
      pending.delete(m.id)
    },
  }
}

/**
 * A minimal hand-written relay: a caller child and an echo child, every call going caller → this process → echo →
 * this process → caller, with ids re-tagged here as a router would. `ipc`: over Node's JSON IPC channels (this
 * process parses and re-serialises each payload). `bytes`: over length-prefixed frames on a pipe, this process
 * reading only the small header and passing the payload on as bytes. References for the manager's relayed calls
 * (not floors: docs/benchmarks.md).
 */
export async function rawRelay(count, payloadBytes, inflight, mode, kind) {
  const extraPipe = mode === 'bytes'
  const caller = forkHelper(here('./fixtures/relay-end.mjs'), ['caller', mode], { extraPipe })
  const echo = forkHelper(here('./fixtures/relay-end.mjs'), ['echo', mode], { extraPipe })
  try {
    await Promise.all([caller.ready, echo.ready])
    const routes = new Map()
    let nextId = 0
    if (mode === 'ipc') {
      caller.child.on('message', (m) => {
        if (m?.r === undefined) return
        routes.set(++nextId, m.r)
        echo.child.send({ r: nextId, payload: m.payload })
      })
      echo.child.on('message', (m) => {
        if (m?.r === undefined) return
        caller.child.send({ r: routes.get(m.r), payload: m.payload })
        routes.delete(m.r)
      })
    } else {
      const [toCaller, toEcho] = [caller.child.stdio[4], echo.child.stdio[4]]
      readFrames(toCaller, (header, body) => {
        routes.set(++nextId, header.r)
        writeFrame(toEcho, { r: nextId }, body)
      })
      readFrames(toEcho, (header, body) => {
        writeFrame(toCaller, { r: routes.get(header.r) }, body)
        routes.delete(header.r)
      })
    }
    return await caller.request('run', count, payloadBytes, inflight, kind)
  } finally {
    await Promise.all([caller.close(), echo.close()])
  }
}

/** Calls `onLine` for each newline-terminated line of a utf8 socket, without re-copying what is left after each. */
export function onLines(socket, onLine) {
  let rest = ''
  socket.on('data', (chunk) => {
    let start = 0
    let newline = chunk.indexOf('\n')
    while (newline !== -1) {
      onLine(rest + chunk.slice(start, newline))
      rest = ''
      start = newline + 1
      newline = chunk.indexOf('\n', start)
    }
    rest += chunk.slice(start)
  })
}

/** The same ping-pong over a Unix socket to a forked child: the floor of a direct service↔service channel. */
export async function rawSocketPingPong(count, payloadBytes, inflight, kind) {
  const path = join(tmpdir(), `svc-bench-raw-${process.pid}.sock`)
  const child = fork(here('./fixtures/raw-socket-echo.mjs'), [path], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv: [] })
  await new Promise((r) => child.once('message', r))
  const socket = net.connect(path)
  await new Promise((r) => socket.once('connect', r))
  const { send, settle } = correlate()
  socket.setEncoding('utf8')
  onLines(socket, (line) => settle(JSON.parse(line)))
  const write = (message) => socket.write(JSON.stringify(message) + '\n')
  try {
    return await measureCalls((payload) => send(write, payload), count, payloadBytes, inflight, kind)
  } finally {
    socket.destroy()
    child.disconnect()
    await new Promise((r) => child.once('exit', r))
    rmSync(path, { force: true })
  }
}

// Three significant digits at most: sub-millisecond latencies must not print as 0.0.
export function fmt(n) {
  return n >= 100 ? Math.round(n).toString() : Number(n.toPrecision(3)).toString()
}

/** The call shapes every call comparison measures: [label, payload bytes, calls in flight, payload kind]. */
export const callShapes = [
  ['small (100 B), one at a time', 100, 1, 'string'],
  ['small (100 B), 128 in flight', 100, 128, 'string'],
  ['64 KiB, one at a time', 65536, 1, 'string'],
  ['64 KiB, 128 in flight', 65536, 128, 'string'],
  ['64 KiB of small objects, one at a time', 65536, 1, 'objects'],
  ['64 KiB of small objects, 128 in flight', 65536, 128, 'objects'],
]

/** Fewer round trips for big payloads, so every shape takes comparable time. */
export const callCount = (count, bytes) => (bytes > 1000 ? Math.max(50, Math.floor(count / 10)) : count)

/**
 * Rows for one call shape from per-trial `{ rps, p50, p99 }` results of the measured side (`fw`) and of the raw
 * one-hop ping-pong (`raw`). `peer` names a peer when the measured side is not services-cluster; `shape` lets the
 * report line services-cluster up against each peer.
 */
export function callRows(label, inflight, fw, raw, peer) {
  const med = (xs, k) => median(xs.map((x) => x[k]))
  const f = { rps: med(fw, 'rps'), p50: med(fw, 'p50'), p99: med(fw, 'p99') }
  const r = { rps: med(raw, 'rps'), p50: med(raw, 'p50'), p99: med(raw, 'p99') }
  const row = (metric, key, extra) => ({
    case: `calls: ${label} — ${metric}${peer ? ` — ${peer}` : ''}`,
    shape: `${label} — ${metric}`,
    ...(peer ? { peer } : {}),
    framework: f[key],
    baseline: r[key],
    ratio: f[key] / r[key],
    ...extra,
  })
  const rows = [row('round trips/s', 'rps', { unit: '/s', higherIsBetter: true })]
  if (inflight === 1) rows.push(row('p50 latency', 'p50', { unit: 'ms' }), row('p99 latency', 'p99', { unit: 'ms' }))
  return rows
}

/**
 * Compares a peer's call performance with the raw one-hop ping-pong, shape by shape, alternating trials.
 * `peerRun(count, bytes, inflight, kind)` measures inside the peer's calling process and resolves `{ rps, p50, p99 }`.
 */
export async function peerCallRows(peer, peerRun, { trials, count }) {
  const rows = []
  for (const [label, bytes, inflight, kind] of callShapes) {
    const n = callCount(count, bytes)
    const fw = []
    const raw = []
    for (let t = 0; t < trials; t++) {
      raw.push(await rawPingPong(n, bytes, inflight, kind))
      fw.push(await peerRun(n, bytes, inflight, kind))
    }
    rows.push(...callRows(label, inflight, fw, raw, peer))
  }
  return rows
}

/** A port that was free a moment ago on 127.0.0.1 (listen(0), then close). */
export async function freePort() {
  const srv = net.createServer()
  await new Promise((resolve, reject) => srv.once('error', reject).listen(0, '127.0.0.1', resolve))
  const { port } = srv.address()
  await new Promise((r) => srv.close(r))
  return port
}

/**
 * Forks a helper process (bench/fixtures/*) that speaks the small protocol of fixtures/helper.mjs: it sends
 * `'ready'` once set up, answers `{ id, cmd, args }` with `{ id, result }` or `{ id, error }`, and cleans up and
 * exits when its IPC channel disconnects. Its stderr is kept (the last 4 KB) for error messages.
 */
export function forkHelper(script, args = [], { env = process.env, execArgv = [], extraPipe = false } = {}) {
  const name = script.split('/').pop()
  // extraPipe: a socket pair on fd 4 besides the IPC channel (child.stdio[4] here).
  const stdio = ['ignore', 'ignore', 'pipe', 'ipc', ...(extraPipe ? ['pipe'] : [])]
  const child = fork(script, args.map(String), { stdio, execArgv, env })
  let stderr = ''
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)))
  const why = (what) => new Error(`${name} ${what}${stderr ? `:\n${stderr.trim()}` : ''}`)
  const pending = new Map()
  let nextId = 0
  let exitInfo = null
  const exited = new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      exitInfo = signal ?? code
      for (const p of pending.values()) p.reject(why(`exited (${exitInfo}) during a request`))
      pending.clear()
      resolve()
    }),
  )
  child.once('error', () => {}) // a failed spawn also emits 'exit'
  const ready = new Promise((resolve, reject) => {
    child.once('exit', () => reject(why(`exited (${exitInfo}) before it was ready`)))
    child.on('message', (m) => {
      if (m === 'ready') return resolve()
      const p = pending.get(m?.id)
      if (!p) return
      pending.delete(m.id)
      if ('error' in m) p.reject(why(`${p.cmd} failed: ${m.error}`))
      else p.resolve(m.result)
    })
  })
  ready.catch(() => {}) // observed by whoever awaits it; never an unhandled rejection
  return {
    child,
    ready,
    request(cmd, ...args) {
      if (exitInfo !== null) return Promise.reject(why(`exited (${exitInfo})`))
      return new Promise((resolve, reject) => {
        const id = ++nextId
        pending.set(id, { resolve, reject, cmd })
        child.send({ id, cmd, args })
      })
    },
    /** Disconnects (the helper cleans up and exits); SIGKILLs it if it has not exited within `graceMs`. */
    async close(graceMs = 15_000) {
      if (exitInfo === null && child.connected) child.disconnect()
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
      await exited
      clearTimeout(timer)
    },
  }
}
