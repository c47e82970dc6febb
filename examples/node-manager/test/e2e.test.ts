// The whole example under the real ServicesManager: its own redis-server, simulated chain nodes, the bootstrap
// one-shot, checker, scheduler and the gateway in child processes, on free ports with a temp state dir (never the
// system Redis on 6379). Needs the packages built (npx tsc -b) and redis-server on the PATH.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ServicesManager, type StateChange } from '@services-cluster/core'
import { RedisRpcClient, type GatewayStats } from '@services-cluster/gateway'
import { EXAMPLE_DIR, nodeManagerManifest } from '../manifest.ts'
import { freePorts } from './helpers/ports.ts'
import { gatewayCall } from './helpers/gateway-rpc.ts'
import { processesWith } from './helpers/processes.ts'
import { redisCommand, redisServerForTests } from './helpers/redis.ts'
import { rpc } from './helpers/rpc.ts'

interface CheckReport {
  nodes: Array<{ id: string; status: string; errorCode: string | null }>
  best: Record<string, string | null>
}

const enabled = redisServerForTests('the node-manager end-to-end tests')
let manager: ServicesManager | undefined
let dir: string | undefined
let gatewayPort = 0
let redisPort = 0

beforeAll(async () => {
  if (!enabled) return
  dir = await mkdtemp(join(tmpdir(), 'nm-e2e-'))
  const [gateway, redis, ...sim] = await freePorts(7)
  gatewayPort = gateway!
  redisPort = redis!
  const ids = ['btc-a', 'btc-b', 'ltc-a', 'eth-a', 'eth-b']
  const simPorts = Object.fromEntries(ids.map((id, i) => [id, sim[i]!]))
  manager = new ServicesManager(nodeManagerManifest({ gatewayPort, redis: { port: redisPort }, simPorts, stateDir: dir }), { cwd: EXAMPLE_DIR })
  await manager.start()
}, 60_000)

afterAll(async () => {
  await manager?.close()
  if (dir) await rm(dir, { recursive: true, force: true })
}, 30_000)

// A check may share the result of one already in flight (e.g. the scheduler's tick), so a single check
// right after a change can still show the old state: check again until the change shows, a bounded number of times.
async function checkUntil(predicate: (report: CheckReport) => boolean, run = () => manager!.call('checker', 'check')): Promise<CheckReport> {
  let report: CheckReport | undefined
  for (let attempt = 0; attempt < 20; attempt++) {
    report = (await run()) as CheckReport
    if (predicate(report)) return report
  }
  throw new Error(`the check never showed the expected state; last report: ${JSON.stringify(report)}`)
}

const statusOf = (report: CheckReport, id: string) => report.nodes.find((n) => n.id === id)?.status

;(enabled ? describe : describe.skip)('node manager, end to end', () => {
  let best = ''
  let other = ''

  it('starts its own redis-server, and the bootstrap one-shot loads the nodes file into it before the checker starts', async () => {
    const m = manager!
    expect(m.services().map((s) => `${s.name}:${s.state}`)).toEqual([
      'redis:running',
      'chain-sim:running',
      'bootstrap:completed',
      'checker:running',
      'scheduler:running',
      'gateway:running',
    ])
    expect(await redisCommand(redisPort, 'PING')).toBe('+PONG')
    const changes = m.timeline().map((c) => `${c.service}:${c.to}`)
    expect(changes.indexOf('redis:running')).toBeLessThan(changes.indexOf('bootstrap:starting'))
    expect(changes.indexOf('bootstrap:completed')).toBeLessThan(changes.indexOf('checker:starting'))
    expect(m.logs('bootstrap').map((l) => l.line)).toEqual([`loaded 5 nodes from ${join(dir!, 'nodes.json')}`])
    // The checker's nodes are in that Redis, under the example's prefix.
    expect(await redisCommand(redisPort, 'HLEN nm:nodes')).toBe(':5')
  })

  it('answers checker.getBestNode through the gateway over HTTP', async () => {
    const node = await gatewayCall(gatewayPort, 'checker.getBestNode', ['btc'])
    expect(node).toMatchObject({ type: 'btc', config: { host: '127.0.0.1', user: 'sim', pass: 'sim-pass' }, health: { status: 'online' } })
    best = node.id
    other = best === 'btc-a' ? 'btc-b' : 'btc-a'
    expect(manager!.logs('gateway').map((l) => l.line)).toContain(`gateway listening on http://127.0.0.1:${gatewayPort}`)
  })

  it("answers pg_nm's object params, and -32602 for params missing, extra or of the wrong type", async () => {
    const byName = await rpc(`http://127.0.0.1:${gatewayPort}/rpc`, { jsonrpc: '2.0', id: 1, method: 'checker.getBestNode', params: { node_type: 'btc' } })
    // A btc node: which one is best may have changed since (a scheduled check ran between the two calls).
    expect(byName.body.result).toMatchObject({ type: 'btc' })
    expect([best, other]).toContain(byName.body.result.id)
    for (const params of [[], ['btc', 'x', 'y'], [42], [{ node_type: 'doge' }]]) {
      const error = await gatewayCall(gatewayPort, 'checker.getBestNode', params).catch((e: { rpc: unknown }) => e.rpc)
      expect(error).toMatchObject({ code: -32602 })
    }
  })

  it('runs two gateway processes on the one port, and executes a Redis request sent once exactly once', async () => {
    const m = manager!
    expect(m.service('gateway').instances.map((i) => `${i.id}:${i.state}`)).toEqual(['gateway#0:running', 'gateway#1:running'])
    const client = await RedisRpcClient.connect({ url: `redis://127.0.0.1:${redisPort}`, channel: 'node-manager', timeoutMs: 5000 })
    const eth = (await m.call('chain-sim', 'list')) as Array<{ id: string; port: number }>
    try {
      // Both gateways receive it (pub/sub); one claims it in Redis and adds the node, the other counts a duplicate.
      await client.call('checker.addNode', [{ id: 'via-redis', type: 'eth', host: '127.0.0.1', port: eth.find((n) => n.id === 'eth-a')!.port }])
      expect((await gatewayCall(gatewayPort, 'checker.getNodeConfig', ['via-redis'])).id).toBe('via-redis')
      await client.call('checker.rmNode', ['via-redis'])
    } finally {
      await client.close()
    }
    // Each process counts its own: calls to gateway.stats go to either process, so ask until both have answered.
    const byInstance = new Map<string, GatewayStats>()
    for (let i = 0; i < 20; i++) {
      const stats = (await m.call('gateway', 'stats')) as GatewayStats
      byInstance.set(stats.instance!, stats)
      const all = [...byInstance.values()]
      const sum = (field: 'requests' | 'duplicates') => all.reduce((n, s) => n + s.redis![field], 0)
      if (byInstance.size === 2 && sum('requests') === 2 && sum('duplicates') === 2) break
    }
    expect([...byInstance.keys()].sort()).toEqual(['0', '1'])
    const all = [...byInstance.values()]
    expect(all.reduce((n, s) => n + s.redis!.requests, 0)).toBe(2) // addNode, rmNode: once each
    expect(all.reduce((n, s) => n + s.redis!.duplicates, 0)).toBe(2)
    expect(all.reduce((n, s) => n + (s.methods['checker.addNode']?.count ?? 0), 0)).toBe(1)
  })

  it('moves to the other btc node when the best one lags (check run by the scheduler through the gateway)', async () => {
    await manager!.call('chain-sim', 'lag', best, 5)
    const runThroughGateway = async () => {
      try {
        return (await gatewayCall(gatewayPort, 'scheduler.taskRun', ['check'])).result
      } catch (error) {
        // The 5 s tick may be running the same task right now: join its check instead (the next try is fresh).
        if ((error as { rpc?: { data?: { code?: string } } }).rpc?.data?.code === 'SVC_ERR_SCHED_TASK_BUSY') return manager!.call('checker', 'check')
        throw error
      }
    }
    const report = await checkUntil((r) => statusOf(r, best) === 'lagging', runThroughGateway)
    expect(report.best.btc).toBe(other)
    expect((await gatewayCall(gatewayPort, 'checker.getBestNode', ['btc'])).id).toBe(other)
    const tasks = await gatewayCall(gatewayPort, 'scheduler.taskList')
    expect(tasks[0]).toMatchObject({ definition: { name: 'check', every: '5s' }, enabled: true })
    expect(tasks[0].counts.runs).toBeGreaterThanOrEqual(1)
  })

  it('moves back when the new best node goes down: it is offline, and lag counts only against answering nodes', async () => {
    await manager!.call('chain-sim', 'down', other)
    const report = await checkUntil((r) => statusOf(r, other) === 'offline')
    expect(report.nodes.find((n) => n.id === other)?.errorCode).toBe('SVC_ERR_NM_PROBE_UNREACHABLE')
    // The frozen node is now the highest answering btc node, so it is online again and the best.
    expect(report.best.btc).toBe(best)
    expect((await gatewayCall(gatewayPort, 'checker.getBestNode', ['btc'])).id).toBe(best)
    const nodes = await gatewayCall(gatewayPort, 'checker.getNodes', ['btc'])
    expect(nodes.map((n: { id: string; health: { status: string } }) => `${n.id}:${n.health.status}`).sort()).toEqual(
      [`${best}:online`, `${other}:offline`].sort(),
    )

    await manager!.call('chain-sim', 'up', other)
    await manager!.call('chain-sim', 'up', best)
    await checkUntil((r) => statusOf(r, best) === 'online' && statusOf(r, other) === 'online')
  })

  it('recovers from a SIGKILLed checker: gateway and scheduler close first, then all three start in order', async () => {
    const m = manager!
    // A node added at run time lives in Redis only: seeing it after the restart shows the store was kept.
    const eth = (await m.call('chain-sim', 'list')) as Array<{ id: string; port: number }>
    await gatewayCall(gatewayPort, 'checker.addNode', [{ id: 'added', type: 'eth', host: '127.0.0.1', port: eth.find((n) => n.id === 'eth-a')!.port, timeoutMs: 1999 }])
    const before = m.service('checker')
    const mark = m.timeline().length
    await m.kill('checker', 'SIGKILL')

    const at = order(m.timeline().slice(mark))
    const checkerRestarts = at('checker', 'starting')
    expect(at('gateway', 'closed')).toBeLessThan(at('scheduler', 'closed'))
    expect(at('scheduler', 'closed')).toBeLessThan(checkerRestarts)
    expect(checkerRestarts).toBeLessThan(at('checker', 'running'))
    expect(at('checker', 'running')).toBeLessThan(at('scheduler', 'running'))
    expect(at('scheduler', 'running')).toBeLessThan(at('gateway', 'running'))
    // Neither what the checker depends on, nor the completed bootstrap, is touched.
    expect(at.services()).toEqual(['checker', 'gateway', 'scheduler'])

    const after = m.service('checker')
    expect(after.pid).not.toBe(before.pid)
    expect(after.restarts).toBe(before.restarts + 1)
    // The nodes survived in Redis, and the gateway answers again on the same port.
    expect((await gatewayCall(gatewayPort, 'checker.getNodeConfig', ['added'])).config.timeoutMs).toBe(1999)
    expect(await gatewayCall(gatewayPort, 'checker.getBestNode', ['btc'])).toMatchObject({ type: 'btc', health: { status: 'online' } })
  })

  it('recovers from a SIGKILLed redis: its dependents close, redis restarts with its data, bootstrap runs again, then the rest', async () => {
    const m = manager!
    const before = m.service('redis')
    const mark = m.timeline().length
    // Resolves once the cascade and the restarts have settled.
    await m.kill('redis', 'SIGKILL')

    const at = order(m.timeline().slice(mark))
    expect(at('gateway', 'closed')).toBeLessThan(at('scheduler', 'closed'))
    expect(at('scheduler', 'closed')).toBeLessThan(at('checker', 'closed'))
    expect(at('checker', 'closed')).toBeLessThan(at('redis', 'starting'))
    expect(at('redis', 'running')).toBeLessThan(at('bootstrap', 'starting'))
    expect(at('bootstrap', 'completed')).toBeLessThan(at('checker', 'starting'))
    expect(at('checker', 'running')).toBeLessThan(at('scheduler', 'running'))
    expect(at('scheduler', 'running')).toBeLessThan(at('gateway', 'running'))
    expect(at.services()).not.toContain('chain-sim')
    expect(m.services().map((s) => `${s.name}:${s.state}`)).toEqual([
      'redis:running',
      'chain-sim:running',
      'bootstrap:completed',
      'checker:running',
      'scheduler:running',
      'gateway:running',
    ])

    const after = m.service('redis')
    expect(after.pid).not.toBe(before.pid)
    expect(after.restarts).toBe(before.restarts + 1)
    // Redis wrote every change through to its append-only file, so the bootstrap found this file's nodes and kept them.
    expect(m.logs('bootstrap').at(-1)?.line).toBe(`kept the nodes already in the redis store, loaded from ${join(dir!, 'nodes.json')}`)
    expect((await gatewayCall(gatewayPort, 'checker.getNodeConfig', ['added'])).config.timeoutMs).toBe(1999)
    expect(await gatewayCall(gatewayPort, 'checker.getBestNode', ['btc'])).toMatchObject({ type: 'btc', health: { status: 'online' } })
  })

  it('closes every service in reverse order, and leaves no process behind', async () => {
    const m = manager!
    const pids = m.services().flatMap((s) => (s.pid ? [s.pid] : []))
    // redis-server names itself by its address: the real server, not only the containment wrapper around it.
    expect(await processesWith(`redis-server 127.0.0.1:${redisPort}`)).toHaveLength(1)
    const mark = m.timeline().length
    await m.close()
    manager = undefined
    const closed = m.timeline().slice(mark).filter((c) => c.to === 'closed').map((c) => c.service)
    // The completed one-shot is closed in its turn too (its display state stays `completed`). chain-sim and redis
    // depend on nothing and nothing orders them: they close at the same time, in either order.
    expect(closed.slice(0, 4)).toEqual(['gateway', 'scheduler', 'checker', 'bootstrap'])
    expect(closed.slice(4).sort()).toEqual(['chain-sim', 'redis'])
    await expect(gatewayCall(gatewayPort, 'checker.getBestNode', ['btc'])).rejects.toThrow()
    await expect(redisCommand(redisPort, 'PING')).rejects.toThrow()
    expect(pids.filter(alive)).toEqual([])
    expect(await processesWith('redis-server', String(redisPort))).toEqual([])
  })
})

// Positions of state changes in `changes`, by service and state, with a message listing them all when one is missing.
function order(changes: readonly StateChange[]) {
  const at = (service: string, to: string) => {
    const i = changes.findIndex((c) => c.service === service && c.to === to)
    if (i < 0) throw new Error(`no ${service} → ${to} in ${JSON.stringify(changes.map((c) => `${c.service}:${c.to}`))}`)
    return i
  }
  return Object.assign(at, { services: () => [...new Set(changes.map((c) => c.service))].sort() })
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
