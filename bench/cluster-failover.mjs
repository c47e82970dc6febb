// Failover of an 'any' singleton across hosts (issue 25): three hosts (processes) run `solo` (fixtures/echo.mjs) on
// one of them; that host's manager is SIGKILLed, and the two survivors call solo.host every 5 ms until one answers
// from another host. The documented bound is the lease TTL + one start of the service: measured against
// clusterTtlMs (1000 ms) + one start measured on this machine in the same run (a fresh single-host manager starting
// the same service, start() → resolved). The killed host's service process must exit by itself (its manager's
// channel closed): the bench waits for it and counts what is left; anything left is SIGKILLed.
import { readdirSync, readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { ServicesManager } from '../packages/core/dist/index.js'
import { clusterName, closeHosts, startHosts } from './cluster-hosts.mjs'
import { STATE_DIR } from './core.mjs'
import { here, median } from './lib.mjs'

const TTL = 1000
const alive = (pid) => {
  try {
    return process.kill(pid, 0) || true
  } catch {
    return false
  }
}

/** Every process below `root` now (Linux /proc), found before `root` dies: its orphans are re-parented after. */
function descendants(root) {
  const children = new Map()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      // The parent pid is the second field after the command's closing parenthesis.
      const ppid = Number(readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1].split(' ')[1])
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)])
    } catch {} // gone meanwhile
  }
  const found = []
  for (let queue = [root]; queue.length; ) for (const child of children.get(queue.shift()) ?? []) found.push(child), queue.push(child)
  return found
}

/** One start of the singleton's service on one host, without a cluster: new manager → start() resolved (ms). */
async function oneStart() {
  const t0 = performance.now()
  const manager = new ServicesManager({ services: { solo: { entry: './echo.mjs' } }, stateDir: STATE_DIR }, { cwd: here('./fixtures/') })
  await manager.start()
  const ms = performance.now() - t0
  await manager.close()
  return ms
}

async function failoverOnce() {
  const cluster = clusterName('failover')
  const hosts = await startHosts(cluster, { solo: { entry: './echo.mjs' } }, ['a', 'b', 'c'], TTL)
  try {
    const views = await Promise.all(Object.entries(hosts).map(async ([name, h]) => [name, (await h.request('services'))[0].instances[0].pid]))
    const [holder] = views.find(([, p]) => p !== null)
    const survivors = Object.entries(hosts).filter(([name]) => name !== holder)
    const orphans = descendants(hosts[holder].child.pid)
    const killedAt = Date.now()
    hosts[holder].child.kill('SIGKILL')
    const answers = await Promise.all(survivors.map(([, h]) => h.request('until', 'solo', 'host', 5, holder)))
    const first = Math.min(...answers.map((a) => a.at))
    // Where the time went, from the new holder's own record: kill → it starts solo (the lease) → solo runs (a start).
    const [, newHolder] = survivors.find(([, h], k) => answers[k].at === first) ?? survivors[0]
    const changes = (await newHolder.request('states')).filter((c) => c.service === 'solo' && c.wall >= killedAt)
    const starting = changes.find((c) => c.to === 'starting')?.wall
    const running = changes.find((c) => c.to === 'running')?.wall
    // The killed host's service processes exit once their channel to the dead manager closes.
    const deadline = killedAt + 5000
    while (orphans.some(alive) && Date.now() < deadline) await sleep(10)
    const leftover = orphans.filter(alive)
    for (const pid of leftover) process.kill(pid, 'SIGKILL')
    return { failover: first - killedAt, lease: starting - killedAt, start: running - starting, leftover: leftover.length, orphans: orphans.length }
  } finally {
    await closeHosts(cluster, hosts)
  }
}

export async function clusterFailoverCases({ trials = 5 } = {}) {
  const runs = []
  const starts = []
  for (let t = 0; t < trials; t++) {
    starts.push(await oneStart())
    runs.push(await failoverOnce())
  }
  const med = (k) => median(runs.map((r) => r[k]))
  const start = median(starts)
  const reference = (label, ms) => ({ case: label, framework: ms, baseline: null, ratio: null, unit: 'ms' })
  return [
    {
      case: `cluster: failover of an 'any' singleton, SIGKILL of its host → a survivor answers (TTL ${TTL} ms), against TTL + one start`,
      framework: med('failover'),
      baseline: TTL + start,
      ratio: med('failover') / (TTL + start),
      unit: 'ms',
      baselineLabel: 'TTL + one start',
    },
    reference('cluster, reference: one start of the service on this machine (new manager → start() resolved)', start),
    reference('cluster, failover detail: SIGKILL → the new holder starts the singleton (lease taken)', med('lease')),
    reference('cluster, failover detail: its start there (starting → running)', med('start')),
    {
      ...reference(
        `cluster, failover: the killed host's processes still alive 5 s after its SIGKILL (of ${runs.reduce((n, r) => n + r.orphans, 0)} below it, all trials)`,
        runs.reduce((n, r) => n + r.leftover, 0),
      ),
      unit: '',
    },
  ]
}
