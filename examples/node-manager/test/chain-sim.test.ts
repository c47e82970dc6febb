import { afterEach, describe, expect, it } from '@jest/globals'
import { readFile } from 'node:fs/promises'
import { createChain } from '../src/chain-sim/chain.ts'
import { createChainNode, type ChainNode } from '../src/chain-sim/chain-node.ts'
import { DEFAULT_SIM_CONFIG, parseSimConfig } from '../src/chain-sim/sim-config.ts'
import { startSimulation } from '../src/chain-sim/simulation.ts'
import { rpc } from './helpers/rpc.ts'

const cleanup: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn()
})
async function node(options: Parameters<typeof createChainNode>[0]): Promise<ChainNode> {
  const created = await createChainNode(options)
  cleanup.push(() => created.close())
  return created
}

describe('simulated btc node', () => {
  it('answers JSON-RPC 1.0 with basic auth, like bitcoind', async () => {
    const btc = await node({ kind: 'btc', startBlock: 100, user: 'u', pass: 'p' })
    const auth = { user: 'u', pass: 'p' }
    expect(await rpc(btc.url, { jsonrpc: '1.0', id: 7, method: 'getblockcount', params: [] }, auth)).toEqual({
      status: 200,
      body: { result: 100, error: null, id: 7 },
    })
    const info = await rpc(btc.url, { id: 1, method: 'getblockchaininfo' }, auth)
    expect(info.body.result).toMatchObject({ blocks: 100, chain: 'main' })
    expect((await rpc(btc.url, { id: 1, method: 'getblockcount' }, { user: 'u', pass: 'wrong' })).status).toBe(401)
    expect((await rpc(btc.url, { id: 1, method: 'getblockcount' })).status).toBe(401)
    expect(await rpc(btc.url, { id: 2, method: 'nope' }, auth)).toMatchObject({ status: 404, body: { error: { code: -32601 } } })
  })

  it('follows its chain, lags when told, and catches up on up()', async () => {
    const btc = await node({ kind: 'btc', startBlock: 10 })
    btc.advance(5)
    expect(btc.height).toBe(15)
    btc.lag(3)
    btc.advance(2)
    expect([btc.height, btc.chain.height]).toEqual([12, 17])
    expect((await rpc(btc.url, { id: 1, method: 'getblockcount' })).body.result).toBe(12)
    await btc.up()
    expect((await rpc(btc.url, { id: 1, method: 'getblockcount' })).body.result).toBe(17)
  })

  it('goes down (connection refused) and comes back on the same port', async () => {
    const btc = await node({ kind: 'btc' })
    const port = btc.port
    await btc.down()
    await expect(rpc(btc.url, { id: 1, method: 'getblockcount' })).rejects.toMatchObject({ code: 'ECONNREFUSED' })
    await btc.up()
    expect(btc.port).toBe(port)
    expect((await rpc(btc.url, { id: 1, method: 'getblockcount' })).status).toBe(200)
  })

  it('stalls: the request is accepted and held until the node recovers', async () => {
    const btc = await node({ kind: 'btc' })
    btc.stall()
    const held = rpc(btc.url, { id: 1, method: 'getblockcount' })
    // Wait until the server holds the request, then recover: the held request is cut, new ones work.
    await new Promise<void>((resolve) => btc.server.once('request', () => resolve()))
    await btc.up()
    await expect(held).rejects.toMatchObject({ code: 'ECONNRESET' })
    expect((await rpc(btc.url, { id: 1, method: 'getblockcount' })).status).toBe(200)
  })
})

describe('simulated eth node', () => {
  it('answers JSON-RPC 2.0 with hex heights, batches included', async () => {
    const eth = await node({ kind: 'eth', startBlock: 255 })
    expect((await rpc(eth.url, { jsonrpc: '2.0', id: 1, method: 'eth_blockNumber', params: [] })).body).toEqual({
      jsonrpc: '2.0',
      id: 1,
      result: '0xff',
    })
    const batch = await rpc(eth.url, [
      { jsonrpc: '2.0', id: 1, method: 'eth_syncing' },
      { jsonrpc: '2.0', id: 2, method: 'eth_nope' },
    ])
    expect(batch.body).toEqual([
      { jsonrpc: '2.0', id: 1, result: false },
      { jsonrpc: '2.0', id: 2, error: { code: -32601, message: 'Method not found: eth_nope' } },
    ])
  })
})

describe('chain', () => {
  it('mines on its own timer', async () => {
    const chain = createChain({ startBlock: 1, blockIntervalMs: 5 })
    cleanup.push(() => chain.close())
    // Wait for the condition, not for a fixed time.
    while (chain.height < 3) await new Promise((resolve) => setTimeout(resolve, 5))
    expect(chain.height).toBeGreaterThanOrEqual(3)
  })
})

describe('simulation (what the chain-sim service serves)', () => {
  it('runs nodes over shared chains and controls them by id', async () => {
    const sim = await startSimulation({
      host: '127.0.0.1',
      chains: { btc: { startBlock: 50, blockIntervalMs: 0 } },
      nodes: [
        { id: 'a', kind: 'btc', chain: 'btc', port: 0 },
        { id: 'b', kind: 'btc', chain: 'btc', port: 0 },
      ],
    })
    cleanup.push(() => sim.close())
    sim.api.advance('a', 4)
    expect(sim.api.list().map((n) => [n.id, n.height, n.state])).toEqual([
      ['a', 54, 'up'],
      ['b', 54, 'up'],
    ])
    expect(sim.api.lag('b', 2)).toMatchObject({ height: 52, lagging: true })
    expect(await sim.api.down('a')).toMatchObject({ state: 'down' })
    expect(sim.api.stall('b')).toMatchObject({ state: 'stalled' })
    expect(await sim.api.up('a')).toMatchObject({ state: 'up', height: 54 })
    expect(() => sim.api.lag('zz')).toThrow('No simulated node "zz". Known: a, b.')
    expect(sim.api.advance('a', '2')).toMatchObject({ chainHeight: 56 })
    expect(() => sim.api.lag('a', 'many')).toThrow('chain-sim lag(): blocks must be an integer ≥ 0, got "many".')
    await sim.api.down('a')
    expect(() => sim.api.stall('a')).toThrow('node "a" is down; call up("a") first.')
  })

  it('reports a taken port clearly and closes what it started', async () => {
    const squatter = await node({ kind: 'eth' })
    const config = { ...DEFAULT_SIM_CONFIG, nodes: [{ id: 'x', kind: 'eth' as const, chain: 'eth', port: squatter.port }] }
    await expect(startSimulation(config)).rejects.toThrow(`port ${squatter.port} for simulated node "x" is in use`)
  })

  it('validates its config', () => {
    expect(() => parseSimConfig({ nodes: [{ id: 'a', kind: 'ltc', chain: 'btc', port: 1 }] })).toThrow('kind must be "btc" or "eth"')
    expect(() => parseSimConfig({ nodes: [{ id: 'a', kind: 'btc', chain: 'doge', port: 1 }] })).toThrow('not in "chains"')
  })

  it('default simulators and the shipped nodes.json describe the same endpoints', async () => {
    const file = JSON.parse(await readFile(new URL('../nodes.json', import.meta.url), 'utf8')) as {
      nodes: Array<{ id: string; port: number; user?: string; pass?: string; type: string }>
    }
    const kindOf = (type: string) => (type === 'eth' ? 'eth' : 'btc')
    expect(file.nodes.map((n) => [n.id, n.port, kindOf(n.type), n.user, n.pass])).toEqual(
      DEFAULT_SIM_CONFIG.nodes.map((n) => [n.id, n.port, n.kind, n.user, n.pass]),
    )
  })
})
