// Shared benchmark helpers: trials, medians, ratios, a raw-fork baseline.
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'

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

/** One-hop JSON ping-pong with a forked child: the floor any relayed call is compared with. */
export async function rawPingPong(count, payloadBytes, inflight) {
  const child = fork(here('./fixtures/raw-echo.mjs'), { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv: [] })
  await new Promise((r) => child.once('message', r))
  const payload = 'x'.repeat(payloadBytes)
  const pending = new Map()
  let id = 0
  child.on('message', (m) => {
    const p = pending.get(m.id)
    pending.delete(m.id)
    p?.()
  })
  const latencies = []
  let next = 0
  const t0 = performance.now()
  const worker = async () => {
    while (next < count) {
      next++
      const start = performance.now()
      const myId = ++id
      await new Promise((resolve) => {
        pending.set(myId, resolve)
        child.send({ id: myId, payload })
      })
      latencies.push(performance.now() - start)
    }
  }
  await Promise.all(Array.from({ length: inflight }, worker))
  const seconds = (performance.now() - t0) / 1000
  child.disconnect()
  latencies.sort((a, b) => a - b)
  return { rps: count / seconds, p50: latencies[Math.floor(count * 0.5)], p99: latencies[Math.floor(count * 0.99)] }
}

// Three significant digits at most: sub-millisecond latencies must not print as 0.0.
export function fmt(n) {
  return n >= 100 ? Math.round(n).toString() : Number(n.toPrecision(3)).toString()
}
