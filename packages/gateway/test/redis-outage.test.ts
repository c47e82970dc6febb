// A Redis outage degrades the gateway to HTTP-only with one warning, and it reconnects by itself.
// Uses a private redis-server on a free port (never the shared one), killed and restarted on purpose.

import { afterEach, describe, expect, test } from '@jest/globals'
import { once } from 'node:events'
import { RedisRpcClient } from '../src/index.js'
import { bestNode } from './helpers/fake-backend.js'
import { startGateway } from './helpers/gateway.js'
import { request, rpc } from './helpers/http.js'
import { freePort, hasRedisServerBinary, PrivateRedis } from './helpers/redis.js'

const enabled = await hasRedisServerBinary('Redis outage tests')
const call = { jsonrpc: '2.0', method: 'checker.getBestNode', params: ['btc'], id: 1 }
const redises: PrivateRedis[] = []

afterEach(async () => {
  await Promise.all(redises.splice(0).map((r) => r.kill()))
})

async function privateRedis(): Promise<PrivateRedis> {
  const redis = new PrivateRedis(await freePort())
  redises.push(redis)
  await redis.start()
  return redis
}

// Resolves after the channel reported n failed (re)connect steps.
function retries(channel: NodeJS.EventEmitter, n: number): Promise<void> {
  return new Promise((resolve) => {
    let seen = 0
    const onRetry = (): void => {
      if (++seen < n) return
      channel.off('retry', onRetry)
      resolve()
    }
    channel.on('retry', onRetry)
  })
}

const redisConfig = (url: string) => ({ url, channel: 'outage', minReconnectDelayMs: 20, maxReconnectDelayMs: 100 })

;(enabled ? describe : describe.skip)('Redis outage', () => {
  test('losing Redis keeps HTTP serving, warns once, and Redis RPC works again after it returns', async () => {
    const redis = await privateRedis()
    const { gateway, base, lines } = await startGateway({ redis: redisConfig(redis.url) })
    const channel = gateway.redis!
    if (!channel.connected) await once(channel, 'up')

    const down = once(channel, 'down')
    await redis.kill()
    await down
    expect((await rpc(base, call)).json().result).toEqual(bestNode)
    expect((await request(`${base}/healthz`)).json()).toMatchObject({ status: 'degraded', redis: 'disconnected' })
    expect((await request(`${base}/metrics`)).text).toContain('svc_gateway_redis_connected 0')

    // Let node-redis fail several reconnect attempts before Redis comes back: still one warning.
    const up = once(channel, 'up')
    await retries(channel, 3)
    await redis.start()
    await up
    const warnings = lines.filter(([level]) => level === 'warn')
    expect(warnings).toHaveLength(1)
    expect(warnings[0]![1]).toMatch(/Redis RPC channel lost .* serving HTTP only, reconnecting with backoff/)
    expect(lines.some(([level, text]) => level === 'info' && /reconnected/.test(text))).toBe(true)

    const client = await RedisRpcClient.connect({ url: redis.url, channel: 'outage', timeoutMs: 5000 })
    try {
      expect(await client.call('checker.getBestNode', ['btc'])).toEqual(bestNode)
    } finally {
      await client.close()
    }
    expect(gateway.stats().redis).toMatchObject({ connected: true, outages: 1 })
  })

  test('a gateway started while Redis is down serves HTTP, warns once, connects when Redis appears, and stops promptly', async () => {
    const port = await freePort()
    const { gateway, base, lines } = await startGateway({ redis: redisConfig(`redis://127.0.0.1:${port}`) })
    expect((await rpc(base, call)).json().result).toEqual(bestNode)
    expect(gateway.redis!.connected).toBe(false)
    await retries(gateway.redis!, 2)
    const redis = new PrivateRedis(port)
    redises.push(redis)
    const up = once(gateway.redis!, 'up')
    await redis.start()
    await up
    expect(lines.filter(([level]) => level === 'warn')).toHaveLength(1)
    expect(lines.filter(([level]) => level === 'warn')[0]![1]).toMatch(/cannot reach redis:\/\/127\.0\.0\.1:\d+/)
    await gateway.stop()
  })

  test('stop() while Redis never answered does not hang', async () => {
    const port = await freePort()
    const { gateway } = await startGateway({ redis: redisConfig(`redis://127.0.0.1:${port}`) })
    await gateway.stop()
    expect(gateway.state).toBe('stopped')
  })
})
