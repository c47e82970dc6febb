// A service→service call across hosts (issue 25), end to end: a caller service on host b calls an echo service on host
// a — caller process → manager b (IPC) → NATS request/reply → manager a → echo process (IPC) and back — two managers
// in two processes on this machine, as SVC_HOST a and b. Against, in the same run, trials alternating, the same call
// loop (fixtures/call-loop.mjs: 100 B of JSON, 1 and 32 in flight, warm) over
//   - a bare NATS request/reply between two bare Node processes (fixtures/nats-raw-end.mjs), the baseline;
//   - Moleculer 0.14 with its NATS transporter, two brokers in two processes (fixtures/moleculer-node.mjs), the peer.
// and the same call between services with NATS users of their own (manifest `nats`, the callee `direct: true`:
// caller process → NATS → echo process, no manager on the path; cluster/service-nats.ts), on a second pair of hosts.
// Every side goes through the same nats-server. Needs NATS at NATS_URL (it runs without authorization here, so the
// services' users are names only: what they may publish is not enforced, only the path is measured).
import { clusterName, closeHosts, NATS_URL, startHosts } from './cluster-hosts.mjs'
import { forkHelper, here, median } from './lib.mjs'

const BYTES = 100

export async function clusterServiceCases({ trials = 5, count = 5000 } = {}) {
  const cluster = clusterName('calls')
  const services = {
    echo: { entry: './echo.mjs', placement: { hosts: ['a'] } },
    caller: { entry: './caller.ts', dependsOn: ['echo'], placement: { hosts: ['b'] } },
  }
  const hosts = await startHosts(cluster, services, ['a', 'b'], 3000)
  const ownUser = (name) => NATS_URL.replace('nats://', `nats://svc-${name}:unused@`)
  const directCluster = clusterName('direct')
  const directHosts = await startHosts(
    directCluster,
    { echo: { ...services.echo, direct: true, nats: ownUser('echo') }, caller: { ...services.caller, nats: ownUser('caller') } },
    ['a', 'b'],
    3000,
  )
  const subject = `bench.${cluster}.raw-echo`
  const rawEcho = forkHelper(here('./fixtures/nats-raw-end.mjs'), ['echo', NATS_URL, subject])
  const rawCaller = forkHelper(here('./fixtures/nats-raw-end.mjs'), ['caller', NATS_URL, subject])
  const molecule = (role) => forkHelper(here('./fixtures/moleculer-node.mjs'), [role, 'nats', NATS_URL, cluster])
  const [molEcho, molCaller] = [molecule('echo'), molecule('caller')]
  const sides = {
    ours: (n, inflight) => hosts.b.request('call', 'caller', 'run', n, BYTES, inflight, 'string'),
    direct: (n, inflight) => directHosts.b.request('call', 'caller', 'run', n, BYTES, inflight, 'string'),
    nats: (n, inflight) => rawCaller.request('run', n, BYTES, inflight, 'string'),
    moleculer: (n, inflight) => molCaller.request('run', n, BYTES, inflight, 'string'),
    // For where the time goes: the same call made by manager b itself (manager.call), without the caller's IPC hop.
    manager: (n, inflight) => hosts.b.request('run', 'echo', 'echo', n, BYTES, inflight, 'string'),
  }
  const rows = []
  try {
    await Promise.all([rawEcho.ready, rawCaller.ready, molEcho.ready, molCaller.ready])
    for (const inflight of [1, 32]) {
      const results = { ours: [], direct: [], nats: [], moleculer: [], manager: [] }
      for (let t = 0; t < trials; t++) for (const side of ['nats', 'ours', 'direct', 'moleculer', 'manager']) results[side].push(await sides[side](count, inflight))
      const med = (side, key) => median(results[side].map((r) => r[key]))
      const shape = `100 B, ${inflight} in flight`
      const pair = (what, a, b, against) => [
        row(`${what}, ${shape} — calls/s, against ${against}`, med(a, 'rps'), med(b, 'rps'), '/s', true),
        row(`${what}, ${shape} — p50 latency, against ${against}`, med(a, 'p50'), med(b, 'p50'), 'ms', false),
      ]
      rows.push(
        ...pair('cluster: a service→service call across hosts (b → a)', 'ours', 'nats', 'a bare NATS request/reply'),
        ...pair("cluster: the same call between services with NATS users of their own (direct: true)", 'direct', 'nats', 'a bare NATS request/reply'),
        ...pair('cluster: Moleculer NATS transporter, a call between two brokers', 'moleculer', 'nats', 'a bare NATS request/reply'),
        ...pair('cluster: a service→service call across hosts (b → a)', 'ours', 'moleculer', 'Moleculer NATS transporter'),
        ...pair("cluster, reference: the same call from host b's manager (manager.call: no caller process)", 'manager', 'nats', 'a bare NATS request/reply'),
      )
    }
  } finally {
    await Promise.all([rawCaller.close(), rawEcho.close(), molCaller.close(), molEcho.close(), closeHosts(cluster, hosts), closeHosts(directCluster, directHosts)])
  }
  return rows
}

function row(label, framework, baseline, unit, higherIsBetter) {
  return { case: label, framework, baseline, ratio: framework / baseline, unit, higherIsBetter }
}
