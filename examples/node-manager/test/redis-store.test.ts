import { afterAll, describe, expect, it } from '@jest/globals'
import checkerService from '../services/checker.ts'
import type { CheckerConfigInput } from '../src/checker/config.ts'
import type { NodeRecord } from '../src/checker/node-config.ts'
import { openRedisStore } from '../src/checker/redis-store.ts'
import type { NodeHealth } from '../src/checker/store.ts'
import { fakeContext } from './helpers/fake-context.ts'
import { startFleet } from './helpers/fleet.ts'
import { deleteKeys, REDIS_URL, redisForTests, uniquePrefix } from './helpers/redis.ts'

// The only test file that needs Redis, so a missing Redis costs one skip line per run.

const enabled = await redisForTests('the node-manager Redis store tests')
const prefix = uniquePrefix()

const record = (id: string, port: number, hash = `hash-${id}-${port}`): NodeRecord => ({
  id,
  hash,
  type: 'eth',
  config: { host: '127.0.0.1', port, protocol: 'http', timeoutMs: 1000 },
})
const health: NodeHealth = { status: 'online', block: 5, latencyMs: 2, error: null, errorCode: null, checkedAt: '2024-01-01T00:00:00.000Z' }

;(enabled ? describe : describe.skip)('redis store', () => {
  afterAll(async () => {
    await deleteKeys(prefix)
  })

  it('stores nodes and health under its prefix, visible to a second client', async () => {
    const store = await openRedisStore({ url: REDIS_URL, prefix: `${prefix}a:` })
    await store.put(record('a', 1))
    await store.put(record('b', 2))
    await store.setHealth([
      { id: 'a', hash: 'hash-a-1', health },
      { id: 'b', hash: 'stale-hash', health },
      { id: 'gone', hash: 'x', health },
    ])
    const other = await openRedisStore({ url: REDIS_URL, prefix: `${prefix}a:` })
    const nodes = (await other.list()).sort((x, y) => x.id.localeCompare(y.id))
    expect(nodes).toEqual([{ ...record('a', 1), health }, record('b', 2)])
    await other.close()
    await store.close()
  })

  it('put drops old health, remove deletes everything, replaceAll swaps the set', async () => {
    const store = await openRedisStore({ url: REDIS_URL, prefix: `${prefix}b:` })
    await store.put(record('a', 1))
    await store.setHealth([{ id: 'a', hash: 'hash-a-1', health }])
    await store.put(record('a', 2))
    expect(await store.list()).toEqual([record('a', 2)])
    expect(await store.remove('a')).toBe(true)
    expect(await store.remove('a')).toBe(false)
    await store.replaceAll([record('x', 1), record('y', 2)])
    expect((await store.list()).map((n) => n.id).sort()).toEqual(['x', 'y'])
    await store.replaceAll([])
    expect(await store.list()).toEqual([])
    await store.close()
    await expect(store.list()).rejects.toMatchObject({ code: 'SVC_ERR_NM_STORE_CLOSED' })
  })

  it('is what the checker service uses when the manifest says kind: "redis"', async () => {
    const fleet = await startFleet()
    const ctx = fakeContext<CheckerConfigInput>(
      'checker',
      { nodesFile: fleet.nodesFile, store: { kind: 'redis', prefix: `${prefix}svc:` }, checkOnStart: false },
      { REDIS_URL },
    )
    try {
      const api = await checkerService.factory(ctx)
      expect(await api.getNodes()).toHaveLength(4)
      expect((await api.check()).best.btc).toMatch(/^btc-/)
      expect(ctx.lines).toEqual([`info loaded 4 nodes from ${fleet.nodesFile}`])
    } finally {
      await ctx.close()
      await fleet.close()
    }
  })
})

describe('redis store without a server', () => {
  it('fails fast with a clear error when Redis does not answer', async () => {
    // Port 1 on loopback: nothing listens there, the connect is refused at once.
    await expect(openRedisStore({ url: 'redis://127.0.0.1:1', prefix: 'x:' })).rejects.toMatchObject({
      code: 'SVC_ERR_NM_STORE_UNAVAILABLE',
      message: expect.stringContaining('Start Redis or fix store.url'),
    })
  })
})
