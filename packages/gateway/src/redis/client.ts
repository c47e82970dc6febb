// A minimal client for the node-redis-rpc wire format (see wire.ts): used by tests and the benchmark,
// and usable by any Node program that wants to call the gateway over Redis.

import { randomUUID } from 'node:crypto'
import { createClient } from 'redis'
import { DEFAULT_REDIS_URL } from '../config.js'
import { GatewayError, GatewayErrorCode, RemoteCallError } from '../errors.js'
import { encodeRequest, literalPattern, scoped } from './wire.js'

type RedisClient = ReturnType<typeof createClient>

export interface RedisRpcClientOptions {
  /** Default: REDIS_URL, else redis://127.0.0.1:6379. */
  url?: string
  /** The gateway's channel. Default "gateway". */
  channel?: string
  scope?: string
  /** Reject a call with SVC_ERR_GW_REDIS_TIMEOUT after this long. Default 10 000 ms. */
  timeoutMs?: number
}

export class RedisRpcClient {
  readonly #sub: RedisClient
  readonly #pub: RedisClient
  readonly #channel: string
  readonly #scope: string
  readonly #timeoutMs: number
  readonly #pending = new Set<() => void>()
  #closed = false

  private constructor(sub: RedisClient, pub: RedisClient, options: RedisRpcClientOptions) {
    this.#sub = sub
    this.#pub = pub
    this.#scope = options.scope ?? ''
    this.#channel = scoped(this.#scope, options.channel ?? 'gateway')
    this.#timeoutMs = options.timeoutMs ?? 10_000
  }

  // Fails (rather than retrying forever) when Redis is not there: a client call has a caller waiting.
  static async connect(options: RedisRpcClientOptions = {}): Promise<RedisRpcClient> {
    const url = options.url ?? process.env.REDIS_URL ?? DEFAULT_REDIS_URL
    const make = (): RedisClient =>
      createClient({ url, disableOfflineQueue: true, socket: { connectTimeout: 2000, reconnectStrategy: false } })
    const sub = make()
    const pub = make()
    const errors: Error[] = []
    for (const c of [sub, pub]) c.on('error', (err: Error) => errors.push(err))
    try {
      await Promise.all([sub.connect(), pub.connect()])
    } catch (err) {
      for (const c of [sub, pub]) if (c.isOpen) c.destroy()
      throw err
    }
    return new RedisRpcClient(sub, pub, options)
  }

  // One request: listen on a fresh back channel first (node-redis-rpc races this), then publish.
  async call(method: string, params?: unknown): Promise<unknown> {
    if (this.#closed) throw new GatewayError(GatewayErrorCode.REDIS_CLOSED, 'RedisRpcClient is closed; create a new one.')
    const backChannel = randomUUID()
    const pattern = literalPattern(scoped(this.#scope, backChannel))
    let finish!: (err: Error | undefined, value?: unknown) => void
    const reply = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => finish(new GatewayError(GatewayErrorCode.REDIS_TIMEOUT,
        `No reply to "${method}" on "${this.#channel}" within ${this.#timeoutMs} ms. Is a gateway with this redis channel running?`,
        { method, channel: this.#channel })), this.#timeoutMs)
      const cancel = (): void => finish(new GatewayError(GatewayErrorCode.REDIS_CLOSED,
        `RedisRpcClient closed while "${method}" was waiting for its reply.`, { method }))
      this.#pending.add(cancel)
      finish = (err, value) => {
        if (!this.#pending.delete(cancel)) return
        clearTimeout(timer)
        if (err) reject(err)
        else resolve(value)
      }
    })
    const onReply = (message: string): void => {
      let data: { err?: unknown; result?: unknown }
      try {
        data = JSON.parse(message) as typeof data
      } catch (err) {
        return finish(new RemoteCallError(method, `unparseable reply (${(err as Error).message})`))
      }
      if (data.err) finish(new RemoteCallError(method, data.err))
      else finish(undefined, data.result)
    }
    try {
      await this.#sub.pSubscribe(pattern, onReply)
      await this.#pub.publish(this.#channel, encodeRequest(method, params, backChannel))
    } catch (err) {
      finish(err as Error)
    }
    try {
      return await reply
    } finally {
      if (this.#sub.isReady) await this.#sub.pUnsubscribe(pattern).catch(() => {})
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    for (const cancel of [...this.#pending]) cancel()
    await Promise.allSettled([this.#sub.close(), this.#pub.close()])
  }
}
