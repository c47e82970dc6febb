import { afterEach, describe, expect, it } from '@jest/globals'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import chainSimService from '../services/chain-sim.ts'
import checkerService from '../services/checker.ts'
import { parseCheckerConfig, type CheckerConfigInput } from '../src/checker/config.ts'
import type { SimConfig } from '../src/chain-sim/sim-config.ts'
import { startFleet, type Fleet } from './helpers/fleet.ts'
import { fakeContext, type FakeContext } from './helpers/fake-context.ts'
import { REDIS_URL } from './helpers/redis.ts'

const contexts: Array<FakeContext<unknown>> = []
let fleet: Fleet | undefined
afterEach(async () => {
  for (const ctx of contexts.splice(0).reverse()) await ctx.close()
  await fleet?.close()
  fleet = undefined
})
function ctxFor<C>(name: string, config: C): FakeContext<C> {
  const ctx = fakeContext(name, config, { REDIS_URL })
  contexts.push(ctx as FakeContext<unknown>)
  return ctx
}

describe('checker service', () => {
  it('loads the nodes file into an empty file store, checks once, and keeps the store on restart', async () => {
    fleet = await startFleet()
    const config: CheckerConfigInput = { nodesFile: fleet.nodesFile, store: { kind: 'file', path: join(fleet.dir, 's.jsonl') } }
    const ctx = ctxFor('checker', config)
    const api = await checkerService.factory(ctx)
    expect(ctx.lines).toEqual([`info loaded 4 nodes from ${fleet.nodesFile}`, expect.stringMatching(/^info first check: btc-a=online/)])
    expect((await api.getBestNode('eth')).type).toBe('eth')
    await api.rmNode('eth-b')
    await ctx.close()

    const again = ctxFor('checker', config)
    const restarted = await checkerService.factory(again)
    expect(again.lines[0]).toBe(`info kept the nodes already in the file store, loaded from ${fleet.nodesFile}`)
    expect(await restarted.getNodes('eth')).toHaveLength(1)
  })

  it('refuses a bad config with a message naming the service', async () => {
    await expect(checkerService.factory(ctxFor('checker', { store: { kind: 'sqlite' } } as unknown as CheckerConfigInput))).rejects.toThrow(
      'Service "checker" has an invalid config: "store.kind" must be "file" (embedded, the default) or "redis".',
    )
    expect(() => parseCheckerConfig({ lagBlock: 3 }, 'checker', { nodesFile: 'n', filePath: 'f', redisUrl: 'redis://x' })).toThrow(
      'unknown field(s) lagBlock',
    )
  })

  it('defaults to the example nodes.json and an embedded store under .svc/', () => {
    const config = parseCheckerConfig(undefined, 'checker', {
      nodesFile: fileURLToPath(new URL('../nodes.json', import.meta.url)),
      filePath: '.svc/node-manager/checker-store.jsonl',
      redisUrl: REDIS_URL,
    })
    expect(config).toMatchObject({ lagBlocks: 2, checkTimeoutMs: 10_000, checkOnStart: true, store: { kind: 'file' } })
    expect(config.store.kind === 'file' && config.store.path).toBe(join(process.cwd(), '.svc/node-manager/checker-store.jsonl'))
  })
})

describe('chain-sim service', () => {
  it('serves the configured nodes and their controls', async () => {
    const config: SimConfig = {
      host: '127.0.0.1',
      chains: { eth: { startBlock: 7, blockIntervalMs: 0 } },
      nodes: [{ id: 'e1', kind: 'eth', chain: 'eth', port: 0 }],
    }
    const ctx = ctxFor('chain-sim', config)
    const api = await chainSimService.factory(ctx)
    expect(api.list()).toEqual([expect.objectContaining({ id: 'e1', height: 7, state: 'up' })])
    expect(await api.down('e1')).toMatchObject({ state: 'down' })
    expect(ctx.lines[0]).toMatch(/^info simulating e1@\d+$/)
  })
})
