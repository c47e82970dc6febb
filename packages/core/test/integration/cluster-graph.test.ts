// One graph across three hosts (issue 25): three ServicesManagers, each its own process with its own state folder and
// its own SVC_HOST, one manifest, one nats-server. What is proved: typed calls and events cross hosts; a service starts
// only once its dependencies run on other hosts; a crash on one host closes its dependents on the others in reverse
// order, and they come back in order; a singleton ('any') fails over when its host is killed, and never runs twice;
// a host closed alone hands its singletons over first; `close({ cluster: true })` from one host closes every host's
// part, dependents first.

import { afterAll, afterEach, describe, expect, test } from '@jest/globals'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connectNats } from '../../src/cluster/nats-buckets.js'
import { callOverNats } from '../../src/cluster/nats-calls.js'
import { deleteClusterBuckets, NATS_URL, natsForTests, OwnNats } from '../../../../test-support/nats.js'
import { ClusterHost } from '../../../../test-support/cluster-host.js'
import { HostNetwork } from '../../../../test-support/netns.js'

const TTL = 1000
const enabled = await natsForTests('the cross-host graph tests')
// Each host in a network namespace of its own where the machine allows (its own loopback: a path across hosts that
// used a host-local socket would fail here), reaching a nats-server of this file's own on the bridge between them.
const network = enabled ? HostNetwork.create('the cross-host graph tests') : null
const ownNats = network ? await OwnNats.start(undefined, network.natsAddress) : null
const CLUSTER_NATS = ownNats?.url ?? NATS_URL
const describeNats = enabled ? describe : describe.skip

const clusters: string[] = []
const hosts: Host[] = []
const dirs: string[] = []

/** A host of this file: its own state folder and, where the machine allows, its own network namespace. */
class Host extends ClusterHost {
  constructor(name: string, manifest: object, ttlMs = TTL) {
    const dir = mkdtempSync(join(tmpdir(), `svc-host-${name}-`))
    dirs.push(dir)
    super(name, manifest, dir, { ttlMs, ...(network && { wrap: (argv: string[]) => network.wrap(name, argv) }) })
    hosts.push(this)
  }
}

function manifestOf(services: object, nats = CLUSTER_NATS): object {
  const name = `g${process.pid}-${randomBytes(3).toString('hex')}`
  clusters.push(name)
  return { cluster: { name, nats }, services }
}

type Snapshot = { name: string; state: string; display: string; waitingFor: string | null; pid: number | null; instances: { host: string; pid: number | null }[] }
const snapshotOf = async (host: Host, service: string) => ((await host.ask({ services: true })) as Snapshot[]).find((s) => s.name === service)!

/** A process and every process below it (/proc), leaves first. */
function treeOf(pid: number): number[] {
  let children: number[] = []
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number)
  } catch {
    // gone
  }
  return [...children.flatMap(treeOf), pid]
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

afterEach(async () => {
  for (const host of hosts.splice(0)) await host.stop()
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
}, 30_000)

afterAll(async () => {
  if (ownNats) await ownNats.destroy()
  else if (enabled) await deleteClusterBuckets(clusters)
  network?.destroy()
})

/** store on a ← api on b ← web on c: each calls its dependency while it starts; setup, a one-shot store waits for,
 * runs on each host that starts it. */
const CHAIN = {
  setup: { command: ['true'], oneshot: true },
  store: { entry: './cluster/node.ts', placement: { hosts: ['a'] }, dependsOn: { setup: 'completed' } },
  api: { entry: './cluster/node.ts', dependsOn: ['store'], placement: { hosts: ['b'] }, config: { needs: ['store'], next: 'store', listen: { source: 'store', event: 'saved' } } },
  web: { entry: './cluster/node.ts', dependsOn: ['api'], placement: { hosts: ['c'] }, config: { needs: ['api'], next: 'api' } },
}

describeNats('one graph across three hosts', () => {
  test('start order across hosts, typed calls through three hosts, events across hosts, and where each instance runs', async () => {
    const manifest = manifestOf(CHAIN)
    // The dependents' hosts first: each waits for what it depends on, wherever that runs.
    const [c, b, a] = [new Host('c', manifest), new Host('b', manifest), new Host('a', manifest)]
    await Promise.all([a, b, c].map((h) => h.until((l) => l.ready === true || l.failed !== undefined)))
    expect([a, b, c].map((h) => h.lines.find((l) => l.failed)?.failed)).toEqual([undefined, undefined, undefined])
    // Where the machine allows, each host has a network stack of its own, and none is this test's.
    if (network) expect(new Set([...[a, b, c].map((h) => readlinkSync(`/proc/${h.child.pid}/ns/net`)), readlinkSync('/proc/self/ns/net')]).size).toBe(4)
    // Each started on its own host only once its dependency ran on another (and it called it while starting). What
    // another host sees is the dependency's instance running (its service's state follows a moment later).
    const storeRunning = await a.instanceReached('store#0', 'running')
    const apiStarting = await b.reached('api', 'starting')
    const apiRunning = await b.instanceReached('api#0', 'running')
    const webStarting = await c.reached('web', 'starting')
    expect(apiStarting).toBeGreaterThanOrEqual(storeRunning)
    expect(webStarting).toBeGreaterThanOrEqual(apiRunning)
    expect(await a.call('web', 'chain', 'x')).toBe('web@c>api@b>store@a:x')
    // An event emitted on a reaches api on b.
    expect(await c.call('store', 'save', { n: 1 })).toBe(true)
    await expect(waitForValue(() => b.call('api', 'received'), (v) => (v as unknown[]).length === 1)).resolves.toEqual([{ n: 1 }])
    // A large result crosses as it is.
    expect(((await a.call('web', 'big', 200_000)) as string).length).toBe(200_000)
    const snapshot = (await b.ask({ services: true })) as { name: string; state: string; instances: { host: string; pid: number | null }[] }[]
    expect(snapshot.map((s) => [s.name, s.state, s.instances.map((i) => i.host)])).toEqual([
      ['setup', 'completed', ['b']],
      ['store', 'running', ['a']],
      ['api', 'running', ['b']],
      ['web', 'running', ['c']],
    ])
    expect(snapshot.find((s) => s.name === 'store')!.instances[0]!.pid).toBeNull() // not a process of this host
    // Its output, from any host: clusterLogs() asks the host that runs it (`svc logs`).
    const lines = (await c.ask({ logs: ['store', 10] })) as { service: string; line: string }[]
    expect(lines.filter((l) => l.line.includes('store@a up')).map((l) => l.service)).toEqual(['store@a'])
  }, 60_000)

  test('a crash on one host closes its dependents on the others in reverse order, restarts it, and brings them back in order', async () => {
    const manifest = manifestOf(CHAIN)
    const [a, b, c] = [new Host('a', manifest), new Host('b', manifest), new Host('c', manifest)]
    await Promise.all([a, b, c].map((h) => h.until((l) => l.ready === true)))
    const marks = [a, b, c].map((h) => h.lines.length)
    const pidOn = async (host: Host, service: string) => ((await host.ask({ services: true })) as { name: string; pid: number }[]).find((s) => s.name === service)!.pid
    const pid = await pidOn(a, 'store') // as this host sees it (the service's own process.pid is its PID namespace's)
    process.kill(pid, 'SIGKILL')
    // An instance's own moments are what the other hosts see (its host says so at once); the service's state
    // follows a moment later, so the order across hosts is asserted on them.
    const webClosed = await c.instanceReached('web#0', 'closed', marks[2])
    const apiClosing = await b.instanceReached('api#0', 'closing', marks[1])
    const apiClosed = await b.instanceReached('api#0', 'closed', marks[1])
    const storeStarting = await a.reached('store', 'starting', marks[0])
    const storeRunning = await a.reached('store', 'running', marks[0])
    const apiRunning = await b.reached('api', 'running', marks[1])
    const webRunning = await c.reached('web', 'running', marks[2])
    expect(apiClosing).toBeGreaterThanOrEqual(webClosed)
    expect(storeStarting).toBeGreaterThanOrEqual(apiClosed)
    expect(apiRunning).toBeGreaterThanOrEqual(storeRunning)
    expect(webRunning).toBeGreaterThanOrEqual(apiRunning)
    // Each host's view follows: b sees web run again on c.
    await b.reached('web', 'running', marks[1])
    expect(await b.call('web', 'chain', 'again')).toBe('web@c>api@b>store@a:again')
    expect(await pidOn(a, 'store')).not.toBe(pid)
  }, 60_000)

  test('the access rule is checked on the serving host: a host cannot call as a service it does not run, nor past dependsOn', async () => {
    const manifest = manifestOf(CHAIN) as { cluster: { name: string } }
    const all = [new Host('a', manifest), new Host('b', manifest), new Host('c', manifest)]
    await Promise.all(all.map((h) => h.until((l) => l.ready === true)))
    const nc = await connectNats(CLUSTER_NATS, 'test: hostile host')
    try {
      const as = (fromHost: string, from: string, to: string) =>
        callOverNats(nc, manifest.cluster.name, { fromHost, from, to, method: 'where', args: Buffer.from('[]'), timeoutMs: 5000 })
      // Host c runs web only: it may not speak as store (pinned to a), whatever store may call.
      await expect(as('c', 'store', 'api')).rejects.toMatchObject({ code: 'SVC_ERR_ACCESS_DENIED' })
      // web (on c) depends on api, not on store: refused by store's host, from the manifest.
      await expect(as('c', 'web', 'store')).rejects.toMatchObject({ code: 'SVC_ERR_ACCESS_DENIED' })
      // A service name nobody declared.
      await expect(as('c', 'intruder', 'store')).rejects.toMatchObject({ code: 'SVC_ERR_ACCESS_DENIED' })
      // What the manifest allows goes through.
      expect(new TextDecoder().decode((await as('c', 'web', 'api')).bytes)).toBe('"api@b"')
      // A host's log lines on request (svc logs): a request that is not one, or names no service, gets none; a
      // limit far past the bound gets the lines there are, never more than one NATS message.
      const logs = (body: string) => nc.request(`svc.${manifest.cluster.name}.logs.a`, body, { timeout: 5000 }).then((m) => JSON.parse(m.string()) as unknown[])
      expect(await logs('not json')).toEqual([])
      expect(await logs(JSON.stringify({ services: ['nobody'], limit: 10 }))).toEqual([])
      expect(await logs(JSON.stringify({ services: 'store', limit: 10 }))).toEqual([])
      const lines = await logs(JSON.stringify({ services: ['store', 'nobody'], limit: 1e12 }))
      expect(lines.length).toBeGreaterThan(0)
      expect(lines.length).toBeLessThanOrEqual(10_000)
      // A change (reload, scale) another host asks for: one it does not understand, or a count out of bounds, is
      // refused, coded, and changes nothing.
      const change = (body: string) =>
        nc.request(`svc.${manifest.cluster.name}.change.a`, body, { timeout: 5000 }).then((m) => (JSON.parse(m.string()) as { error?: { code: string } }).error?.code)
      expect(await change('not json')).toBe('SVC_ERR_PROTOCOL')
      expect(await change(JSON.stringify({ op: 'scale', service: 'nobody', count: 2 }))).toBe('SVC_ERR_PROTOCOL')
      expect(await change(JSON.stringify({ op: 'delete', service: 'store' }))).toBe('SVC_ERR_PROTOCOL')
      expect(await change(JSON.stringify({ op: 'scale', service: 'store', count: 1e9 }))).toBe('SVC_ERR_BAD_INSTANCES')
      expect((await snapshotOf(all[0]!, 'store')).instances).toHaveLength(1)
    } finally {
      await nc.close()
    }
  }, 60_000)

  test('a service none of whose hosts is up waits, saying why, and runs once one comes up', async () => {
    const manifest = manifestOf({ lonely: { entry: './cluster/node.ts', placement: { hosts: ['x'] } }, user: { entry: './cluster/node.ts', dependsOn: ['lonely'], placement: { hosts: ['a'] } } })
    const a = new Host('a', manifest)
    // a's start cannot finish: what it depends on has no host.
    await a.until((l) => l.state?.service === 'lonely' && l.state.to === 'starting')
    const waiting = await waitForValue(() => snapshotOf(a, 'lonely'), (s) => (s as Snapshot).waitingFor !== null)
    expect(waiting).toMatchObject({ state: 'starting', waitingFor: 'a host: none of its hosts (x) is up' })
    expect((await snapshotOf(a, 'user')).display).toBe('pending')
    const x = new Host('x', manifest)
    await Promise.all([a, x].map((h) => h.until((l) => l.ready === true)))
    expect(await a.call('lonely', 'where')).toBe('lonely@x')
  }, 60_000)

  test("a singleton ('any') runs on exactly one host, and fails over when that host is killed (lease TTL + one start)", async () => {
    const { all, holder, others } = await singletonOnThreeHosts()
    // Exactly one host started a process for it.
    expect(all.filter((h) => h.lines.some((l) => l.state?.service === 'solo' && l.state.to === 'running' && l.state.reason !== 'restart')).length).toBe(3) // each host sees it run…
    const processes = await Promise.all(all.map((h) => h.ask({ services: true }) as Promise<{ instances: { pid: number | null }[] }[]>))
    expect(processes.filter((s) => s[0]!.instances[0]!.pid !== null).length).toBe(1) // …one host runs it
    const marks = others.map((h) => h.lines.length)
    const killedAt = Date.now()
    holder.child.kill('SIGKILL')
    await holder.exited()
    // A call right after the loss fails (coded) rather than waiting for the host to drop out of the membership.
    const refused = await others[0]!.call('solo', 'where').then(
      () => null,
      (error: { code: string }) => error.code,
    )
    // (One already on its way to the dead host's connection fails when the host drops out of view, about a TTL later.)
    expect(['SVC_ERR_SERVICE_NOT_RUNNING', 'SVC_ERR_SERVICE_CLOSED']).toContain(refused)
    // Both survivors see it run again, on one of them.
    await Promise.all(others.map((h, k) => h.reached('solo', 'running', marks[k])))
    const failedOver = Date.now() - killedAt
    const now = (await others[0]!.call('solo', 'where')) as string
    expect(others.map((h) => `solo@${h.name}`)).toContain(now)
    expect(await others[1]!.call('solo', 'where')).toBe(now)
    // The documented bound: the lease TTL plus one start (a start here takes well under 5 s even on a loaded machine).
    expect(failedOver).toBeLessThan(TTL * 3 + 5000)
    const after = await Promise.all(others.map((h) => h.ask({ services: true }) as Promise<{ instances: { pid: number | null }[] }[]>))
    expect(after.filter((s) => s[0]!.instances[0]!.pid !== null).length).toBe(1)
  }, 60_000)

  test('a host frozen (SIGSTOP) past the TTL: a survivor runs its singleton; woken, it stops its stale copy at once and follows', async () => {
    const { all, holder: frozen, others } = await singletonOnThreeHosts()
    const stale = (await snapshotOf(frozen, 'solo')).pid!
    const marks = all.map((h) => h.lines.length)
    // The whole host freezes: its manager and every process below it.
    const processes = treeOf(frozen.child.pid!)
    for (const pid of processes) process.kill(pid, 'SIGSTOP')
    try {
      await Promise.all(others.map((h) => h.reached('solo', 'running', marks[all.indexOf(h)])))
      const runners = await Promise.all(others.map((h) => snapshotOf(h, 'solo')))
      expect(runners.filter((s) => s.pid !== null)).toHaveLength(1)
    } finally {
      for (const pid of processes.reverse()) process.kill(pid, 'SIGCONT')
    }
    // Woken: its lease is lost by its own clock, so its copy is killed, and it follows the new holder.
    await frozen.until((l) => l.notice?.includes('its lease is lost') === true, marks[all.indexOf(frozen)])
    await frozen.until((l) => l.state?.service === 'solo' && l.state.to === 'running', marks[all.indexOf(frozen)])
    const now = await snapshotOf(frozen, 'solo')
    expect(now.pid).toBeNull()
    expect(others.map((h) => h.name)).toContain(now.instances[0]!.host)
    expect(alive(stale)).toBe(false)
    expect(await frozen.call('solo', 'where')).toBe(`solo@${now.instances[0]!.host}`)
  }, 60_000)

  test('a host closed alone hands its singletons over first: dependents elsewhere close, it runs on another host, they come back, then the host leaves', async () => {
    // store may run on a or b, and restarts 'never': a move is not a crash, so no policy keeps it from moving.
    const manifest = manifestOf({
      store: { entry: './cluster/node.ts', placement: { hosts: ['a', 'b'] }, restart: { policy: 'never' } },
      api: { entry: './cluster/node.ts', dependsOn: ['store'], placement: { hosts: ['c'] }, config: { needs: ['store'], next: 'store' } },
    })
    const a = new Host('a', manifest)
    await a.instanceReached('store#0', 'running') // on a, the only host up
    const [b, c] = [new Host('b', manifest), new Host('c', manifest)]
    await Promise.all([a, b, c].map((h) => h.until((l) => l.ready === true)))
    expect(await b.call('api', 'chain', 'x')).toBe('api@c>store@a:x')
    const marks = [a, b, c].map((h) => h.lines.length)
    await a.ask({ close: 'host' })
    // In order across hosts: api closed on c before store closed on a; store started on b once closed on a; api back
    // after it runs there.
    const apiClosed = await c.instanceReached('api#0', 'closed', marks[2])
    const storeClosing = await a.instanceReached('store#0', 'closing', marks[0])
    const storeClosed = await a.instanceReached('store#0', 'closed', marks[0])
    const storeRunning = await b.instanceReached('store#0', 'running', marks[1])
    const apiRunning = await c.instanceReached('api#0', 'running', marks[2])
    // (b's instance is `starting` from the moment it moves; its process waits for a's lease: its first line says when.)
    const storeUp = ((await b.ask({ logs: ['store', 50] })) as { at: number; line: string }[]).find((l) => l.line.includes('store@b up'))!.at
    expect(storeClosing).toBeGreaterThanOrEqual(apiClosed)
    expect(storeUp).toBeGreaterThanOrEqual(storeClosed)
    expect(apiRunning).toBeGreaterThanOrEqual(storeRunning)
    // a's close ended only once store ran on b (it said so before it left).
    const handed = a.lines.findIndex((l) => l.notice === 'store: store#0 handed over: it runs on host b')
    expect(handed).toBeGreaterThanOrEqual(marks[0]!)
    expect(a.lines.findIndex((l) => l.closed === true)).toBeGreaterThan(handed)
    expect(await c.call('api', 'chain', 'y')).toBe('api@c>store@b:y')
    // Not a crash on the hosts that followed it: no restart counted, the last exit says it moved.
    const seen = (await c.ask({ services: true })) as { name: string; restarts: number; lastExit: { reason: string } | null }[]
    expect(seen.find((s) => s.name === 'store')).toMatchObject({ restarts: 0, lastExit: { reason: 'moved' } })
    expect(seen.find((s) => s.name === 'api')).toMatchObject({ restarts: 0 })
  }, 60_000)

  test("another host's log lines: the tail, then each new line as it is written, a host that joins later too; a hostile follower is bounded", async () => {
    const manifest = manifestOf({
      store: { entry: './cluster/node.ts', placement: { hosts: ['a'] } },
      api: { entry: './cluster/node.ts', placement: { hosts: ['b'] } },
      edge: { entry: './cluster/node.ts', placement: { hosts: ['c'] } },
    }) as { cluster: { name: string } }
    const [a, b] = [new Host('a', manifest), new Host('b', manifest)]
    await a.instanceReached('store#0', 'running')
    const tail = (await b.ask({ follow: [['store', 'edge'], 10] })) as { service: string; line: string }[]
    expect(tail.filter((l) => l.line.includes('store@a up')).map((l) => l.service)).toEqual(['store@a'])
    expect(await b.call('store', 'say', 'first')).toBe(true)
    await b.until((l) => l.followed?.service === 'store@a' && l.followed.line.includes('first'))
    // A host that comes up later is followed from its next lines (the follower renews with every host up).
    const c = new Host('c', manifest)
    await c.instanceReached('edge#0', 'running')
    await waitForValue(
      // (b sees edge run on c a moment after c does: a call before that is refused, and asked again.)
      async () => (await b.call('edge', 'say', 'from c').catch(() => null), b.lines.some((l) => l.followed?.service === 'edge@c' && l.followed.line.includes('from c'))),
      (seen) => seen === true,
    )
    // Hostile follow requests: one that names a subject that is not an inbox (here, the one that would close the whole
    // cluster), and more inboxes than a host keeps (64, b's own among them). Nothing is published to the first; at most
    // 63 of the others get lines.
    const nc = await connectNats(CLUSTER_NATS, 'test: hostile follower')
    try {
      const seen = new Map<string, number>()
      const count = (error: unknown, msg: { subject: string }) => void (error || seen.set(msg.subject, (seen.get(msg.subject) ?? 0) + 1))
      nc.subscribe(`svc.${manifest.cluster.name}.down.*`, { callback: count })
      nc.subscribe('_INBOX.>', { callback: (error, msg) => void (msg?.subject.startsWith('_INBOX.evil') && count(error, msg)) })
      const follow = (inbox: string) => nc.publish(`svc.${manifest.cluster.name}.logs.a`, JSON.stringify({ services: ['store'], limit: 0, inbox }))
      follow(`svc.${manifest.cluster.name}.down.evil`)
      for (let i = 0; i < 100; i++) follow(`_INBOX.evil${i}`)
      await nc.flush()
      expect(await b.call('store', 'say', 'second')).toBe(true)
      await b.until((l) => l.followed?.service === 'store@a' && l.followed.line.includes('second')) // b's own follow holds
      await waitForValue(async () => [...seen.keys()].length, (n) => (n as number) >= 63)
      expect([...seen.keys()].every((subject) => subject.startsWith('_INBOX.evil'))).toBe(true)
      expect(seen.size).toBe(63) // b's own follower holds one of the 64 places
      expect([a, b, c].every((h) => h.child.exitCode === null && !h.lines.some((l) => l.closed))).toBe(true)
    } finally {
      await nc.close()
    }
    expect(await b.ask({ unfollow: true })).toBeNull()
  }, 60_000)

  test('reload and scale from a host that runs none of it: every host replaces its own instances, one after the other, and no call fails; a scale is carried out on every host', async () => {
    const manifest = manifestOf({
      pair: { entry: './cluster/node.ts', placement: { hosts: ['a', 'b'] }, instances: 2 },
      edge: { entry: './cluster/node.ts', placement: 'every' },
    })
    const all = [new Host('a', manifest), new Host('b', manifest), new Host('c', manifest)]
    const c = all[2]!
    await Promise.all(all.map((h) => h.until((l) => l.ready === true)))
    /** Each process of `service` cluster-wide, as `host:pid` (a host's snapshot has the pids of its own instances). */
    const processes = async (service: string) =>
      (await Promise.all(all.map(async (h) => (await snapshotOf(h, service)).instances.filter((i) => i.pid !== null).map((i) => `${h.name}:${i.pid}`)))).flat().sort()
    const before = { pair: await processes('pair'), edge: await processes('edge') }
    expect(before.pair).toHaveLength(2)
    expect(before.edge.map((p) => p.split(':')[0])).toEqual(['a', 'b', 'c'])
    // Calls from c all along: to pair (on a and b, over NATS) and to edge (c's own).
    let reloading = true
    const failures: string[] = []
    let calls = 0
    const caller = (async () => {
      while (reloading) {
        for (const service of ['pair', 'edge']) {
          await c.call(service, 'where').then(
            () => calls++,
            (error: Error) => failures.push(`${service}: ${error.message}`),
          )
        }
      }
    })()
    await c.ask({ reload: 'pair' })
    await c.ask({ reload: 'edge' })
    reloading = false
    await caller
    expect(failures).toEqual([])
    expect(calls).toBeGreaterThan(0)
    const after = { pair: await processes('pair'), edge: await processes('edge') }
    expect(after.pair.map((p) => p.split(':')[0])).toEqual(before.pair.map((p) => p.split(':')[0])) // same hosts…
    expect(after.pair.filter((p) => before.pair.includes(p))).toEqual([]) // …new processes
    expect(after.edge.map((p) => p.split(':')[0])).toEqual(['a', 'b', 'c'])
    expect(after.edge.filter((p) => before.edge.includes(p))).toEqual([])
    // One host after the other: the last of edge's old instances closed on a before b began to replace its own.
    const reloadMoments = (h: Host, to: string) => h.lines.filter((l) => l.instance?.instance.startsWith('edge#') && l.instance.to === to && l.instance.reason === 'reload').map((l) => l.instance!.at)
    const [bStarted, aClosed] = [reloadMoments(all[1]!, 'starting'), reloadMoments(all[0]!, 'closed')]
    expect([bStarted.length, aClosed.length]).toEqual([1, 1])
    expect(bStarted[0]).toBeGreaterThanOrEqual(aClosed[0]!)

    // Scaled from c to 3: every host's graph has 3 instances, one process each, on a or b.
    await c.ask({ scale: ['pair', 3] })
    const seen = async () => Promise.all(all.map(async (h) => (await snapshotOf(h, 'pair')).instances.filter((i) => (i as { state?: string }).state === 'running').length))
    expect(await waitForValue(seen, (counts) => (counts as number[]).every((n) => n === 3))).toEqual([3, 3, 3])
    const three = await processes('pair')
    expect(three).toHaveLength(3)
    expect(three.every((p) => ['a', 'b'].includes(p.split(':')[0]!))).toBe(true)
    // And back to 1: the highest-numbered go, everywhere.
    await c.ask({ scale: ['pair', 1] })
    expect(await waitForValue(seen, (counts) => (counts as number[]).every((n) => n === 1))).toEqual([1, 1, 1])
    expect(await waitForValue(() => processes('pair'), (p) => (p as string[]).length === 1)).toHaveLength(1)
    expect(await c.call('pair', 'where')).toMatch(/^pair@[ab]$/)
  }, 90_000)

  ;(network ? test : test.skip)('a host cut off from the others and NATS: a survivor runs its singleton, the cut host stops its copy by its own clock, and once joined again it follows', async () => {
    const { all, holder: cut, others } = await singletonOnThreeHosts()
    const stale = (await snapshotOf(cut, 'solo')).pid!
    const marks = all.map((h) => h.lines.length)
    network!.cut(cut.name)
    try {
      // The survivors run it, one process between them.
      await Promise.all(others.map((h) => h.reached('solo', 'running', marks[all.indexOf(h)])))
      const runners = await Promise.all(others.map((h) => snapshotOf(h, 'solo')))
      expect(runners.filter((s) => s.pid !== null)).toHaveLength(1)
      // The cut host learns nothing from NATS: its own clock ends its lease, and its copy is killed.
      await cut.until((l) => l.notice?.includes('its lease is lost') === true, marks[all.indexOf(cut)])
      await waitForValue(async () => alive(stale), (up) => up === false)
      expect(alive(stale)).toBe(false)
      // A cut that lasts: past the point where the cut host has dropped the others from its view and tried to take
      // the slot itself, against a NATS it cannot reach (the cut's length is the scenario, not a wait for an event).
      await new Promise((resolve) => setTimeout(resolve, 5 * TTL))
    } finally {
      network!.cut(cut.name, false)
    }
    // Joined again: it follows the survivor that runs it, and calls through it reach it.
    const holder = runnersHost(await Promise.all(others.map(async (h) => [h.name, (await snapshotOf(h, 'solo')).pid] as const)))
    expect(await waitForValue(() => cut.call('solo', 'where').catch((e: Error) => e.message), (v) => v === `solo@${holder}`, 20_000)).toBe(`solo@${holder}`)
    const seen = await snapshotOf(cut, 'solo')
    expect([seen.pid, seen.instances[0]!.host, seen.state]).toEqual([null, holder, 'running'])
    const everywhere = await Promise.all(all.map((h) => snapshotOf(h, 'solo')))
    expect(everywhere.filter((s) => s.pid !== null)).toHaveLength(1)
  }, 90_000)

  test('close({ cluster: true }) on one host closes every host, dependents first', async () => {
    const manifest = manifestOf(CHAIN)
    const [a, b, c] = [new Host('a', manifest), new Host('b', manifest), new Host('c', manifest)]
    await Promise.all([a, b, c].map((h) => h.until((l) => l.ready === true)))
    await a.ask({ close: 'cluster' })
    // Every host closes its part (the others on a's word).
    await Promise.all([a, b, c].map((h) => Promise.all(['store', 'api', 'web'].map((s) => h.reached(s, 'closed')))))
    const webClosed = await c.instanceReached('web#0', 'closed')
    const apiClosing = await b.instanceReached('api#0', 'closing')
    const apiClosed = await b.instanceReached('api#0', 'closed')
    const storeClosing = await a.instanceReached('store#0', 'closing')
    expect(apiClosing).toBeGreaterThanOrEqual(webClosed)
    expect(storeClosing).toBeGreaterThanOrEqual(apiClosed)
  }, 60_000)
})

/** Three hosts running the singleton `solo` ('any'): the one that runs it, and the two others. */
async function singletonOnThreeHosts(): Promise<{ all: Host[]; holder: Host; others: Host[] }> {
  const manifest = manifestOf({ solo: { entry: './cluster/node.ts' } })
  const all = [new Host('a', manifest), new Host('b', manifest), new Host('c', manifest)]
  await Promise.all(all.map((h) => h.until((l) => l.ready === true)))
  const where = (await all[0]!.call('solo', 'where')) as string
  const holder = all.find((h) => `solo@${h.name}` === where)!
  return { all, holder, others: all.filter((h) => h !== holder) }
}

/** The host whose snapshot has a pid (the one that runs it). */
function runnersHost(pids: (readonly [string, number | null])[]): string {
  return pids.find(([, pid]) => pid !== null)![0]
}

/** Asks until the answer satisfies `done` (events are asynchronous); the last answer. */
async function waitForValue(ask: () => Promise<unknown>, done: (value: unknown) => boolean, ms = 5000): Promise<unknown> {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await ask()
    if (done(value) || Date.now() > deadline) return value
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

describeNats('one graph across hosts, through a NATS restart (a nats-server of its own)', () => {
  let server: OwnNats
  afterAll(async () => {
    await server?.destroy()
  })

  test('NATS restarted within the TTL: nothing moves, nothing restarts, nothing runs twice, and calls cross again', async () => {
    server = await OwnNats.start(undefined, network?.natsAddress)
    // A TTL a JetStream restart stays well inside on a loaded machine (its store is read back on start).
    const ttl = 5000
    const manifest = manifestOf({ ...CHAIN, solo: { entry: './cluster/node.ts' } }, server.url)
    const all = [new Host('a', manifest, ttl), new Host('b', manifest, ttl), new Host('c', manifest, ttl)]
    await Promise.all(all.map((h) => h.until((l) => l.ready === true)))
    const before = await Promise.all(all.map((h) => snapshotOf(h, 'solo')))
    const soloPid = before.find((s) => s.pid !== null)!.pid
    const storePid = (await snapshotOf(all[0]!, 'store')).pid
    const marks = all.map((h) => h.lines.length)
    await server.stop()
    await server.restart()
    const answer = await waitForValue(() => all[0]!.call('web', 'chain', 'back').catch((e: Error) => e.message), (v) => v === 'web@c>api@b>store@a:back', ttl)
    expect(answer).toBe('web@c>api@b>store@a:back')
    const after = await Promise.all(all.map((h) => snapshotOf(h, 'solo')))
    expect(after.filter((s) => s.pid !== null).map((s) => s.pid)).toEqual([soloPid])
    expect((await snapshotOf(all[0]!, 'store')).pid).toBe(storePid)
    // No service changed state on any host.
    expect(all.flatMap((h, k) => h.lines.slice(marks[k]).filter((l) => l.state || l.instance))).toEqual([])
  }, 60_000)
})
