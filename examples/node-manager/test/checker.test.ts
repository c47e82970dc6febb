import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createChecker } from '../src/checker/checker.ts'
import { openFileStore } from '../src/checker/file-store.ts'
import type { NodeStore } from '../src/checker/store.ts'
import { startFleet, type Fleet } from './helpers/fleet.ts'

let fleet: Fleet
let store: NodeStore
let checker: ReturnType<typeof createChecker>
beforeEach(async () => {
  fleet = await startFleet()
  store = await openFileStore({ path: join(fleet.dir, 'store.jsonl') })
  checker = createChecker({ store, nodesFile: fleet.nodesFile, lagBlocks: 2, checkTimeoutMs: 1000 })
})
afterEach(async () => {
  await store.close()
  await fleet.close()
})

const statuses = async () => Object.fromEntries((await checker.api.getNodes()).map((n) => [n.id, n.health?.status ?? 'unchecked']))

describe('checker', () => {
  it('bootstraps an empty store once, then keeps what the store has', async () => {
    expect(await checker.bootstrapIfStale()).toEqual({ loaded: 4, file: fleet.nodesFile, reason: 'empty', kept: 0, dropped: 0 })
    await checker.api.rmNode('eth-b')
    expect(await checker.bootstrapIfStale()).toBeUndefined()
    expect(await checker.api.getNodes('eth')).toHaveLength(1)
    // An explicit bootstrap() reloads the file.
    expect(await checker.api.bootstrap()).toMatchObject({ loaded: 4 })
    expect(await checker.api.getNodes('eth')).toHaveLength(2)
  })

  it('a changed nodes file replaces the nodes loaded from the old one; nodes added at run time stay unless the file takes their id', async () => {
    await checker.bootstrapIfStale()
    const eth = fleet.sim.api.list().find((n) => n.id === 'eth-a')!
    await checker.api.addNode({ id: 'mine', type: 'eth', host: '127.0.0.1', port: eth.port, timeoutMs: 111 })
    await checker.api.addNode({ id: 'taken', type: 'eth', host: '127.0.0.1', port: eth.port, timeoutMs: 222 })
    const file = JSON.parse(await readFile(fleet.nodesFile, 'utf8')) as { nodes: Array<{ id: string; timeoutMs: number }> }
    file.nodes = file.nodes.filter((n) => n.id !== 'eth-b').map((n) => ({ ...n, timeoutMs: 333 }))
    file.nodes.push({ ...file.nodes.find((n) => n.id === 'eth-a')!, id: 'taken', timeoutMs: 444 })
    await writeFile(fleet.nodesFile, JSON.stringify(file))

    expect(await checker.bootstrapIfStale()).toEqual({ loaded: 4, file: fleet.nodesFile, reason: 'file changed', kept: 1, dropped: 5 })
    const nodes = await checker.api.getNodes()
    expect(nodes.map((n) => `${n.id}:${n.config.timeoutMs}`).sort()).toEqual(['btc-a:333', 'btc-b:333', 'eth-a:333', 'mine:111', 'taken:444'])
    expect(await checker.bootstrapIfStale()).toBeUndefined()
  })

  it('checks all nodes and picks the best: highest block, then lowest latency', async () => {
    await checker.bootstrapIfStale()
    const report = await checker.api.check()
    expect(report.nodes.map((n) => [n.id, n.status, n.block])).toEqual([
      ['btc-a', 'online', 100],
      ['btc-b', 'online', 100],
      ['eth-a', 'online', 5000],
      ['eth-b', 'online', 5000],
    ])
    // Equal heights: the faster node wins.
    const btc = (await checker.api.getNodes('btc')).sort((a, b) => a.health!.latencyMs! - b.health!.latencyMs!)
    expect((await checker.api.getBestNode('btc')).id).toBe(btc[0]!.id)
    expect(report.best.btc).toBe(btc[0]!.id)
    expect(report.best.ltc).toBeNull()
  })

  it('moves traffic away from a node that lags or goes down', async () => {
    await checker.bootstrapIfStale()
    await checker.api.check()
    const first = (await checker.api.getBestNode('btc')).id
    const other = first === 'btc-a' ? 'btc-b' : 'btc-a'

    fleet.sim.api.lag(first, 0)
    fleet.sim.api.advance(other, 3)
    await checker.api.check()
    expect(await statuses()).toMatchObject({ [first]: 'lagging', [other]: 'online' })
    expect(await checker.api.getBestNode('btc')).toMatchObject({ id: other, health: { block: 103 } })

    // Within lagBlocks (2) of the best a node is still online, but the higher one wins.
    await fleet.sim.api.up(first)
    fleet.sim.api.lag(first, 1)
    await checker.api.check()
    expect(await statuses()).toMatchObject({ [first]: 'online' })
    expect((await checker.api.getBestNode('btc')).id).toBe(other)

    await fleet.sim.api.up(first)
    await fleet.sim.api.down(other)
    await checker.api.check()
    const down = (await checker.api.getNodes('btc')).find((n) => n.id === other)!
    expect(down.health).toMatchObject({ status: 'offline', block: null, errorCode: 'SVC_ERR_NM_PROBE_UNREACHABLE' })
    expect((await checker.api.getBestNode('btc')).id).toBe(first)

    fleet.sim.api.stall(first)
    await checker.api.check()
    await expect(checker.api.getBestNode('btc')).rejects.toMatchObject({
      code: 'SVC_ERR_NM_NO_ONLINE_NODE',
      message: 'No online "btc" node (2 offline). Run check() to refresh, or add a reachable node.',
    })
    expect((await checker.api.getNodeConfig(first)).health).toMatchObject({ errorCode: 'SVC_ERR_NM_PROBE_TIMEOUT' })
  })

  it('marks a node with wrong credentials offline with a clear error', async () => {
    await checker.bootstrapIfStale()
    await checker.api.updateNode('btc-a', { pass: 'wrong' })
    await checker.api.check()
    const [a] = await checker.api.getNodes('btc')
    expect(a!.health).toMatchObject({ status: 'offline', error: 'Node "btc-a" rejected the credentials (HTTP 401). Check its user and pass.' })
  })

  it('lists without passwords but hands full configs to clients that connect', async () => {
    await checker.bootstrapIfStale()
    await checker.api.check()
    const listed = (await checker.api.getNodes('btc'))[0]!
    expect(listed.config.pass).toBe('***')
    expect((await checker.api.getNodeConfig(listed.hash)).config.pass).toBe('p')
    expect((await checker.api.getBestNode('btc')).config.pass).toBe('p')
  })

  it('add, update and remove through the API; a changed config is unchecked until the next check', async () => {
    await checker.bootstrapIfStale()
    await checker.api.check()
    const eth = fleet.sim.api.list().find((n) => n.id === 'eth-a')!
    const added = await checker.api.addNode({ type: 'eth', host: 'LOCALHOST', port: eth.port, timeoutMs: 300 })
    expect(added).toMatchObject({ type: 'eth', config: { host: 'localhost' }, health: null })
    const updated = await checker.api.updateNode(added.id, { timeoutMs: 400 })
    expect(updated.hash).not.toBe(added.hash)
    expect((await checker.api.getNodeConfig('eth-b')).health?.status).toBe('online')
    await expect(checker.api.addNode({ type: 'eth', host: 'x' })).rejects.toThrow('"port" is missing')
    await expect(checker.api.rmNode('nope')).rejects.toMatchObject({ code: 'SVC_ERR_NM_NODE_NOT_FOUND' })
    await checker.api.rmNode(updated.hash)
    expect(await checker.api.getNodes('eth')).toHaveLength(2)
    await expect(checker.api.getBestNode('doge' as 'eth')).rejects.toMatchObject({ code: 'SVC_ERR_NM_INVALID_PARAMS' })
  })

  it('shares one check between overlapping callers (scheduler tick + manual call)', async () => {
    await checker.bootstrapIfStale()
    const [a, b] = [checker.api.check(), checker.api.check()]
    expect(a).toBe(b)
    await a
    expect(checker.api.check()).not.toBe(a)
    await checker.api.check()
  })

  it('health survives a checker restart with the file store', async () => {
    await checker.bootstrapIfStale()
    await checker.api.check()
    const before = await checker.api.getBestNode('eth')
    await store.close()
    store = await openFileStore({ path: join(fleet.dir, 'store.jsonl') })
    const restarted = createChecker({ store, nodesFile: fleet.nodesFile, lagBlocks: 2, checkTimeoutMs: 1000 })
    expect(await restarted.bootstrapIfStale()).toBeUndefined()
    expect(await restarted.api.getBestNode('eth')).toEqual(before)
  })
})
