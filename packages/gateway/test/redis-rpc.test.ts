// Redis RPC round trips against the real Redis (REDIS_URL, default 127.0.0.1:6379), in the node-redis-rpc
// wire format. Each run uses its own scope, so concurrent runs never see each other's messages.

import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { createClient } from 'redis'
import { RedisRpcClient, RemoteCallError } from '../src/index.js'
import { bestNode, coded, FakeBackend } from './helpers/fake-backend.js'
import { startGateway, type Started } from './helpers/gateway.js'
import { request } from './helpers/http.js'
import { REDIS_URL, redisForTests } from '../../../test-support/redis.js'

const enabled = await redisForTests('the gateway Redis RPC round-trip tests')
const scope = `gwtest-${randomUUID()}`
const channel = 'pg_nm:master'

async function startWithRedis(extra: { bodyLimit?: number } = {}): Promise<Started> {
  const backend = new FakeBackend({ 'checker.fail': () => Promise.reject(coded('SVC_ERR_CHECKER_BAD_TYPE', 'bad node type xrp')) })
  const started = await startGateway({ expose: ['checker.*'], redis: { url: REDIS_URL, channel, scope }, ...extra }, backend)
  if (!started.gateway.redis!.connected) await once(started.gateway.redis!, 'up')
  return started
}

;(enabled ? describe : describe.skip)('Redis RPC channel (node-redis-rpc wire format)', () => {
  let client: RedisRpcClient

  beforeAll(async () => {
    client = await RedisRpcClient.connect({ url: REDIS_URL, channel, scope, timeoutMs: 5000 })
  })
  afterAll(async () => {
    await client?.close()
  })

  test('a call round-trips through Redis to the backend and back', async () => {
    const { backend, gateway } = await startWithRedis()
    expect(await client.call('checker.getBestNode', ['btc'])).toEqual(bestNode)
    expect(await client.call('checker.echo', { node_type: 'eth' })).toEqual([{ node_type: 'eth' }])
    expect(backend.calls.map((c) => c.params)).toEqual([['btc'], [{ node_type: 'eth' }]])
    expect(gateway.stats().redis).toMatchObject({ connected: true, channel: `${scope}:${channel}`, requests: 2 })
  })

  test('service errors and unexposed methods come back as err, with their codes', async () => {
    await startWithRedis()
    const failed = await client.call('checker.fail', ['xrp']).catch((e: unknown) => e)
    expect(failed).toBeInstanceOf(RemoteCallError)
    expect(failed).toMatchObject({ code: 'SVC_ERR_CHECKER_BAD_TYPE', rpcCode: -32000 })
    expect((failed as Error).message).toContain('bad node type xrp')
    await expect(client.call('other.method', [])).rejects.toMatchObject({ code: 'SVC_ERR_GW_METHOD_NOT_EXPOSED', rpcCode: -32601 })
    await expect(client.call('checker.echo', 5)).rejects.toMatchObject({ code: 'SVC_ERR_GW_INVALID_PARAMS', rpcCode: -32602 })
  })

  test('a hand-written node-redis-rpc style exchange gets exactly { err, result } on <scope:>__backChannel', async () => {
    const { gateway } = await startWithRedis()
    const sub = createClient({ url: REDIS_URL })
    const pub = createClient({ url: REDIS_URL })
    await Promise.all([sub.connect(), pub.connect()])
    try {
      const back = randomUUID()
      const replies: string[] = []
      let got!: () => void
      const gotTwo = new Promise<void>((r) => (got = r))
      await sub.pSubscribe(`${scope}:${back}`, (message) => {
        replies.push(message)
        if (replies.length === 2) got()
      })
      // Plain pub/sub traffic on the channel (no __type) must be ignored, not answered.
      await pub.publish(`${scope}:${channel}`, JSON.stringify({ payload: { method: 'getBestNode' }, __backChannel: back }))
      // pg_nm's shape: payload.method without a dot, routed with payload.to, params as an object.
      await pub.publish(`${scope}:${channel}`, JSON.stringify({ payload: { method: 'echo', to: 'checker', params: { node_type: 'btc' } }, __type: 'rpc', __backChannel: back }))
      await pub.publish(`${scope}:${channel}`, JSON.stringify({ payload: { params: [] }, __type: 'rpc', __backChannel: back }))
      await gotTwo
      const [first, second] = replies.map((r) => JSON.parse(r))
      const [ok, bad] = first.err === null ? [first, second] : [second, first]
      expect(ok).toEqual({ err: null, result: [{ node_type: 'btc' }] })
      expect(bad).toEqual({ err: { code: -32600, message: expect.stringContaining('payload.method'), data: { code: 'SVC_ERR_GW_INVALID_REQUEST' } } })
      expect(gateway.stats().redis).toMatchObject({ ignored: 1, requests: 2 })
    } finally {
      await Promise.all([sub.close(), pub.close()])
    }
  })

  test('redis calls are counted under transport="redis" in /metrics', async () => {
    const { base } = await startWithRedis()
    await client.call('checker.getBestNode', ['btc'])
    const text = (await request(`${base}/metrics`)).text
    expect(text).toContain('svc_gateway_requests_total{method="checker.getBestNode",transport="redis",outcome="ok"} 1')
    expect(text).toContain('svc_gateway_redis_connected 1')
    expect((await request(`${base}/healthz`)).json()).toMatchObject({ status: 'ok', redis: 'connected' })
  })

  test('many concurrent calls each get their own reply', async () => {
    await startWithRedis()
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => client.call('checker.echo', [i])))
    expect(results).toEqual(Array.from({ length: 50 }, (_, i) => [i]))
  })

  test('a message over bodyLimit is answered with -32002 and never reaches the backend', async () => {
    const { backend } = await startWithRedis({ bodyLimit: 512 })
    await expect(client.call('checker.echo', ['x'.repeat(1000)])).rejects.toMatchObject({ code: 'SVC_ERR_GW_BODY_TOO_LARGE', rpcCode: -32002 })
    expect(await client.call('checker.echo', ['small'])).toEqual(['small'])
    expect(backend.calls).toHaveLength(1)
  })

  test('the client times out with a coded error when no gateway listens', async () => {
    const lonely = await RedisRpcClient.connect({ url: REDIS_URL, channel: 'nobody-here', scope, timeoutMs: 200 })
    try {
      await expect(lonely.call('checker.getBestNode', ['btc'])).rejects.toMatchObject({ code: 'SVC_ERR_GW_REDIS_TIMEOUT' })
    } finally {
      await lonely.close()
    }
  })
})
