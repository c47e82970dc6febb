// The node manager on three hosts (docs/node-manager.md, "On three hosts"): three ServicesManager processes, each its
// own SVC_HOST, state folder and gateway port, one nats-server and one Redis. The gateway runs on every host; the
// checker, the scheduler and the simulated nodes on one host each at a time. What is proved: every host's gateway
// answers; a request sent once over the Redis RPC channel (every gateway receives it) adds one node; the checker's
// host killed with SIGKILL, the checker runs on a survivor with its store (the node added before is still there), and
// every surviving gateway answers again.
import { afterAll, describe, expect, it } from '@jest/globals'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RedisRpcClient } from '@services-cluster/gateway'
import { nodeManagerManifest, SIM_NODE_IDS } from '../manifest.ts'
import { ClusterHost } from '../../../test-support/cluster-host.ts'
import { deleteClusterBuckets, NATS_URL, natsForTests } from '../../../test-support/nats.ts'
import { gatewayCall } from './helpers/gateway-rpc.ts'
import { freePorts } from './helpers/ports.ts'
import { deleteKeys, REDIS_URL, redisForTests, uniquePrefix } from './helpers/redis.ts'

const enabled = (await natsForTests('the node manager across hosts')) && (await redisForTests('the node manager across hosts'))

interface Snapshot {
  name: string
  pid: number | null
  instances: { host: string; pid: number | null }[]
  listen: { port: number } | null
}
/** A host: the core's cross-host fixture process, with its gateway's port. */
class Host extends ClusterHost {
  constructor(
    name: string,
    manifest: object,
    readonly dir: string,
    readonly gatewayPort: number,
  ) {
    super(name, manifest, join(dir, 'svc'))
  }

  async services(): Promise<Snapshot[]> {
    return (await this.ask({ services: true })) as Snapshot[]
  }
}

const hosts: Host[] = []
const prefix = uniquePrefix()
const cluster = `nm${process.pid}-${randomBytes(3).toString('hex')}`

afterAll(async () => {
  for (const host of hosts) {
    await host.stop()
    rmSync(host.dir, { recursive: true, force: true })
  }
  if (enabled) await Promise.all([deleteKeys(prefix), deleteClusterBuckets([cluster])])
}, 60_000)

/** Asks until `ask` resolves to something `done` accepts; the last answer or failure. */
async function eventually<T>(ask: () => Promise<T>, done: (value: T) => boolean, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    try {
      const value = await ask()
      if (done(value) || Date.now() > deadline) return value
    } catch (error) {
      if (Date.now() > deadline) throw error
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

;(enabled ? describe : describe.skip)('the node manager on three hosts', () => {
  it('serves from every host, executes a Redis request once, and fails the checker over with its store', async () => {
    const ports = await freePorts(3 + SIM_NODE_IDS.length)
    const simPorts = Object.fromEntries(SIM_NODE_IDS.map((id, i) => [id, ports[3 + i]!]))
    const channel = `${prefix}rpc`
    for (const [k, name] of ['a', 'b', 'c'].entries()) {
      const dir = mkdtempSync(join(tmpdir(), `nm-host-${name}-`))
      // The same manifest on every host but for its gateway's port (three hosts share this machine's loopback).
      const manifest = nodeManagerManifest({
        cluster: { name: cluster, nats: NATS_URL },
        redis: { url: REDIS_URL },
        store: { kind: 'redis', prefix },
        redisChannel: { name: channel },
        gatewayPort: ports[k]!,
        gatewayInstances: 1,
        simPorts,
        stateDir: dir,
        checkEvery: '1s',
      })
      hosts.push(new Host(name, manifest, dir, ports[k]!))
    }
    await Promise.all(hosts.map((h) => h.until((l) => l.ready === true || l.failed !== undefined, 0, 60_000)))
    expect(hosts.map((h) => h.lines.find((l) => l.failed)?.failed)).toEqual([undefined, undefined, undefined])
    // Every host's gateway answers, from the one checker.
    const best = await Promise.all(hosts.map((h) => gatewayCall(h.gatewayPort, 'checker.getBestNode', ['btc'])))
    expect(new Set(best.map((b) => JSON.stringify(b))).size).toBe(1)
    // Sent once over Redis, received by all three gateways: added once.
    const client = await RedisRpcClient.connect({ url: REDIS_URL, channel, timeoutMs: 10_000 })
    try {
      await client.call('checker.addNode', [{ id: 'via-redis', type: 'eth', host: '127.0.0.1', port: simPorts['eth-a']! }])
    } finally {
      await client.close()
    }
    const nodes = (await gatewayCall(hosts[1]!.gatewayPort, 'checker.getNodes', [])) as { id: string }[]
    expect(nodes.filter((n) => n.id === 'via-redis')).toHaveLength(1)
    // One checker and one scheduler process cluster-wide (so the scheduler's check runs once per period); the
    // checker's host killed, a survivor runs it with the same store.
    const runsHere = async (h: Host, service: string) => ((await h.services()).find((s) => s.name === service)!.pid !== null ? h : null)
    const checkerHost = (await Promise.all(hosts.map((h) => runsHere(h, 'checker')))).filter(Boolean)
    expect(checkerHost).toHaveLength(1)
    expect((await Promise.all(hosts.map((h) => runsHere(h, 'scheduler')))).filter(Boolean)).toHaveLength(1)
    const lost = checkerHost[0]!
    lost.child.kill('SIGKILL')
    const survivors = hosts.filter((h) => h !== lost)
    for (const host of survivors) {
      const config = await eventually(
        () => gatewayCall(host.gatewayPort, 'checker.getNodeConfig', ['via-redis']) as Promise<{ id: string }>,
        (c) => c?.id === 'via-redis',
      )
      expect(config.id).toBe('via-redis')
    }
    const runners = (await Promise.all(survivors.map(async (h) => (await h.services()).find((s) => s.name === 'checker')!.pid))).filter((pid) => pid !== null)
    expect(runners).toHaveLength(1)
  }, 120_000)
})
