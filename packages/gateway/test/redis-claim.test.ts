// Several gateways on one Redis channel (the processes of a service with `instances`, or other hosts): pub/sub hands
// every request to all of them, and the claim in Redis (SET NX on the request's back channel) makes exactly one
// execute it and reply. Against the shared Redis (REDIS_URL), each run in its own scope; the failure case uses a
// private redis-server.

import { afterEach, describe, expect, test } from '@jest/globals'
import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { createClient } from 'redis'
import { RedisRpcClient, type Gateway, type RedisChannelStats } from '../src/index.js'
import { FakeBackend } from './helpers/fake-backend.js'
import { startGateway } from './helpers/gateway.js'
import { request } from './helpers/http.js'
import { hasRedisServerBinary, freePort, PrivateRedis } from './helpers/redis.js'
import { REDIS_URL, redisForTests } from '../../../test-support/redis.js'

const enabled = await redisForTests('the gateway Redis claim tests')
const withBinary = enabled && (await hasRedisServerBinary('the gateway Redis claim failure test'))
const channel = 'claims'

async function gatewaysOn(url: string, scope: string, n: number): Promise<Array<{ gateway: Gateway; backend: FakeBackend }>> {
  return Promise.all(Array.from({ length: n }, async () => {
    const backend = new FakeBackend()
    const { gateway } = await startGateway({ expose: ['checker.*'], redis: { url, channel, ...(scope ? { scope } : {}) } }, backend)
    if (!gateway.redis!.connected) await once(gateway.redis!, 'up')
    return { gateway, backend }
  }))
}

const total = (gateways: Array<{ gateway: Gateway }>, field: keyof RedisChannelStats): number =>
  gateways.reduce((sum, { gateway }) => sum + (gateway.stats().redis![field] as number), 0)

async function until(predicate: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

const redises: PrivateRedis[] = []
afterEach(async () => {
  await Promise.all(redises.splice(0).map((r) => r.kill()))
})

;(enabled ? describe : describe.skip)('Redis RPC claims: one execution and one reply per request', () => {
  test('three gateways on one channel: 60 requests published once are each executed once and answered once', async () => {
    const scope = `gwclaim-${randomUUID()}`
    const gateways = await gatewaysOn(REDIS_URL, scope, 3)
    const sub = createClient({ url: REDIS_URL })
    const pub = createClient({ url: REDIS_URL })
    await Promise.all([sub.connect(), pub.connect()])
    try {
      const n = 60
      const replies = new Map<string, string[]>()
      // Every reply on any back channel of this scope, so a second reply to one request would be seen.
      await sub.pSubscribe(`${scope}:reply-*`, (message, from) => {
        replies.set(from, [...(replies.get(from) ?? []), message])
      })
      for (let i = 0; i < n; i++) {
        await pub.publish(`${scope}:${channel}`, JSON.stringify({ payload: { method: 'checker.echo', params: [i] }, __type: 'rpc', __backChannel: `reply-${i}` }))
      }
      // Each loser counts its duplicate after its claim failed, i.e. once it has decided not to reply: when all are
      // counted, every reply that will ever be sent has been decided.
      await until(() => total(gateways, 'duplicates') === 2 * n && total(gateways, 'requests') === n, 'every request claimed once')
      await until(() => replies.size === n, `${n} replies`)
      expect([...replies.values()].map((r) => r.length)).toEqual(Array(n).fill(1))
      expect(replies.get(`${scope}:reply-7`)!.map((r) => JSON.parse(r))).toEqual([{ err: null, result: [7] }])
      const executed = gateways.flatMap(({ backend }) => backend.calls.map((c) => c.params[0] as number)).sort((a, b) => a - b)
      expect(executed).toEqual(Array.from({ length: n }, (_, i) => i))
      // The claim key names who won, and expires.
      const [key] = await pub.keys(`${scope}:${channel}:claim:reply-7:*`)
      expect(await pub.get(key!)).toMatch(/\/\d+$/)
      const ttl = await pub.pTTL(key!)
      expect(ttl).toBeGreaterThan(0)
      expect(ttl).toBeLessThanOrEqual(30_000)
    } finally {
      await Promise.all([sub.close(), pub.close()])
    }
  })

  test('a client call through two gateways resolves once, and the backend sees it once', async () => {
    const scope = `gwclaim-${randomUUID()}`
    const gateways = await gatewaysOn(REDIS_URL, scope, 2)
    const client = await RedisRpcClient.connect({ url: REDIS_URL, channel, scope, timeoutMs: 5000 })
    try {
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => client.call('checker.echo', [i])))
      expect(results).toEqual(Array.from({ length: 20 }, (_, i) => [i]))
      await until(() => total(gateways, 'duplicates') === 20, 'the losers of 20 claims')
      expect(gateways.reduce((sum, { backend }) => sum + backend.calls.length, 0)).toBe(20)
      expect(total(gateways, 'requests')).toBe(20)
      const scrapes = await Promise.all(gateways.map(({ gateway }) => request(`${gateway.url}/metrics`)))
      const duplicates = scrapes.map((r) => Number(/^svc_gateway_redis_duplicates_total (\d+)$/m.exec(r.text)?.[1]))
      expect(duplicates.reduce((a, b) => a + b, 0)).toBe(20)
    } finally {
      await client.close()
    }
  })

  ;(withBinary ? test : test.skip)('when Redis refuses the claim, nobody executes the request and the caller times out', async () => {
    const redis = new PrivateRedis(await freePort())
    redises.push(redis)
    await redis.start()
    const gateways = await gatewaysOn(redis.url, '', 2)
    const admin = createClient({ url: redis.url })
    await admin.connect()
    const client = await RedisRpcClient.connect({ url: redis.url, channel, timeoutMs: 300 })
    try {
      // Out of memory with noeviction: SET fails (it may grow memory), PUBLISH still works — the claim alone fails.
      await admin.configSet({ maxmemory: '1', 'maxmemory-policy': 'noeviction' })
      await expect(client.call('checker.echo', ['lost'])).rejects.toMatchObject({ code: 'SVC_ERR_GW_REDIS_TIMEOUT' })
      await until(() => total(gateways, 'unclaimed') === 2, 'both claims failing')
      expect(gateways.flatMap(({ backend }) => backend.calls)).toEqual([])
      expect(total(gateways, 'requests')).toBe(0)
      expect((await request(`${gateways[0]!.gateway.url}/metrics`)).text).toContain('svc_gateway_redis_unclaimed_total 1')
      await admin.configSet({ maxmemory: '0' })
      expect(await client.call('checker.echo', ['back'])).toEqual(['back'])
    } finally {
      await client.close()
      await admin.close()
    }
  })
})
