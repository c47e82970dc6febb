// node-redis clients for the RPC channel: reconnect with capped exponential backoff and jitter,
// and fail fast instead of queueing commands while Redis is away.

import { createClient } from 'redis'

export type RedisClient = ReturnType<typeof createClient>

export interface BackoffOptions {
  minReconnectDelayMs: number
  maxReconnectDelayMs: number
}

// Half-jitter: spreads reconnects of many gateways without ever waiting less than half the step.
export function backoffDelay(retries: number, { minReconnectDelayMs: min, maxReconnectDelayMs: max }: BackoffOptions): number {
  const step = Math.min(max, min * 2 ** Math.min(retries, 20))
  return Math.round(step / 2 + (Math.random() * step) / 2)
}

export function createRpcClient(url: string, backoff: BackoffOptions): RedisClient {
  return createClient({
    url,
    disableOfflineQueue: true,
    socket: {
      connectTimeout: 5000,
      reconnectStrategy: (retries) => backoffDelay(retries, backoff),
    },
  })
}

// close() flushes pending replies when connected; destroy() is the only way out while reconnecting.
export async function shutdownClient(client: RedisClient): Promise<void> {
  try {
    if (client.isReady) await client.close()
    else if (client.isOpen) client.destroy()
  } catch {
    try {
      if (client.isOpen) client.destroy()
    } catch {
      // already closed
    }
  }
}
