// The gateway's Redis side: answers node-redis-rpc requests on `<scope:>channel`.
// Pub/sub delivers every request to every subscribed gateway (the processes of one service, other hosts): each claims
// a request in Redis before it executes it (SET NX on a key named after the request's back channel), and only the
// one that wins executes and replies, so a request is executed once and answered once however many subscribe.
// Redis is optional at run time: while it is away the gateway keeps serving HTTP, logs one warning
// per outage, and node-redis reconnects with backoff (restoring the PSUBSCRIBE on its own).

import { EventEmitter } from 'node:events'
import { hostname } from 'node:os'
import { debuglog } from 'node:util'
import type { GatewayLogger } from '../backend.js'
import type { ResolvedRedis } from '../config.js'
import { GatewayErrorCode } from '../errors.js'
import type { CallOutcome } from '../jsonrpc/dispatcher.js'
import { rpcError, RpcCode } from '../jsonrpc/protocol.js'
import { createRpcClient, shutdownClient, type RedisClient } from './connect.js'
import { claimKey, encodeReply, literalPattern, parseIncoming, scoped, sniffBackChannel, type WireReply } from './wire.js'

const debug = debuglog('svc:gateway')

export type Invoke = (method: string, params: unknown) => Promise<CallOutcome>

export interface ChannelIdentity {
  /** Written as the claim key's value, for whoever looks at Redis. Default `<hostname>/<pid>`. */
  claimant?: string
}

export interface RedisChannelStats {
  connected: boolean
  channel: string
  /** Requests this process claimed, executed and answered. */
  requests: number
  ignored: number
  /** Requests another subscriber had claimed first: not executed here. */
  duplicates: number
  /** Requests that could not be claimed because Redis failed the claim: executed by nobody (their callers time out). */
  unclaimed: number
  outages: number
}

// up/down: once per transition. retry: every failed (re)connect step while down, for tests and tracing.
type Events = { up: []; down: [reason: string]; retry: [reason: string] }

// Hides credentials from log lines.
const redactUrl = (url: string): string => url.replace(/\/\/[^@/]*@/, '//***@')

export class RedisRpcChannel extends EventEmitter<Events> {
  readonly #cfg: ResolvedRedis
  readonly #invoke: Invoke
  readonly #log: GatewayLogger
  readonly #bodyLimit: number
  readonly #channel: string
  readonly #sub: RedisClient
  readonly #pub: RedisClient
  readonly #inflight = new Set<Promise<void>>()
  #subscribed = false
  #up = false
  #everUp = false
  #warned = false
  #stopping = false
  #requests = 0
  #ignored = 0
  #duplicates = 0
  #unclaimed = 0
  #outages = 0
  readonly #claimant: string

  constructor(cfg: ResolvedRedis, invoke: Invoke, log: GatewayLogger, bodyLimit: number, identity: ChannelIdentity = {}) {
    super()
    this.#claimant = identity.claimant ?? `${hostname()}/${process.pid}`
    this.#cfg = cfg
    this.#invoke = invoke
    this.#log = log
    this.#bodyLimit = bodyLimit
    this.#channel = scoped(cfg.scope, cfg.channel)
    this.#sub = createRpcClient(cfg.url, cfg)
    this.#pub = createRpcClient(cfg.url, cfg)
    for (const client of [this.#sub, this.#pub]) {
      // Without an 'error' listener node-redis would throw it and crash the process.
      client.on('error', (err: Error) => this.#update(err.message))
      client.on('ready', () => this.#update())
      client.on('reconnecting', () => this.#update('reconnecting'))
      client.on('end', () => this.#update('connection closed'))
    }
  }

  get connected(): boolean {
    return this.#up
  }

  /** The full channel name requests are published on (scope included). */
  get channel(): string {
    return this.#channel
  }

  // Connects in the background; never throws and never blocks the gateway's start.
  start(): void {
    void this.#connect()
  }

  async #connect(): Promise<void> {
    try {
      await Promise.all([this.#sub.connect(), this.#pub.connect()])
      if (this.#stopping) return
      await this.#sub.pSubscribe(literalPattern(this.#channel), (message) => this.#onMessage(message))
      this.#subscribed = true
      this.#update()
    } catch (err) {
      if (this.#stopping) return
      // connect() only gives up when stopped; a failed PSUBSCRIBE (connection dropped mid-way) is retried.
      debug('redis channel connect step failed: %o', err)
      this.#update((err as Error).message)
      if (!this.#subscribed && this.#sub.isOpen) this.#sub.once('ready', () => void this.#resubscribe())
    }
  }

  async #resubscribe(): Promise<void> {
    if (this.#stopping || this.#subscribed) return
    try {
      await this.#sub.pSubscribe(literalPattern(this.#channel), (message) => this.#onMessage(message))
      this.#subscribed = true
      this.#update()
    } catch (err) {
      this.#update((err as Error).message)
      if (this.#sub.isOpen) this.#sub.once('ready', () => void this.#resubscribe())
    }
  }

  // Derives up/down from the clients' own state and logs each transition once.
  #update(reason?: string): void {
    if (this.#stopping) return
    const up = this.#subscribed && this.#sub.isReady && this.#pub.isReady
    if (!up && reason) this.emit('retry', reason)
    if (up === this.#up) {
      if (!up && !this.#everUp && !this.#warned && reason) {
        this.#warned = true
        this.#log.warn(`Redis RPC channel cannot reach ${redactUrl(this.#cfg.url)} (${reason}); serving HTTP only, retrying with backoff`)
      }
      return
    }
    this.#up = up
    if (up) {
      if (this.#everUp || this.#warned) this.#log.info(`Redis RPC channel reconnected; answering on "${this.#channel}" again`)
      else this.#log.info(`Redis RPC channel answering on "${this.#channel}" at ${redactUrl(this.#cfg.url)}`)
      this.#everUp = true
      this.#warned = false
      this.emit('up')
    } else {
      this.#outages++
      this.#warned = true
      this.#log.warn(`Redis RPC channel lost ${redactUrl(this.#cfg.url)} (${reason ?? 'not ready'}); serving HTTP only, reconnecting with backoff`)
      this.emit('down', reason ?? 'not ready')
    }
  }

  #onMessage(message: string): void {
    const task = this.#answer(message).catch((err: unknown) => this.#log.error('gateway internal error on a Redis RPC message:', err))
    this.#inflight.add(task)
    void task.finally(() => this.#inflight.delete(task))
  }

  async #answer(message: string): Promise<void> {
    if (Buffer.byteLength(message) > this.#bodyLimit) {
      const backChannel = sniffBackChannel(message)
      if (!backChannel) {
        this.#ignored++
        return
      }
      if (!(await this.#claim(backChannel, message))) return
      this.#ignored++
      await this.#reply(backChannel, { err: rpcError(RpcCode.BODY_TOO_LARGE,
        `Payload too large: the message exceeds ${this.#bodyLimit} bytes`, GatewayErrorCode.BODY_TOO_LARGE, { limit: this.#bodyLimit }) })
      return
    }
    const incoming = parseIncoming(message)
    if (incoming.kind === 'ignore') {
      this.#ignored++
      debug('redis message ignored: %s', incoming.reason)
      return
    }
    if (!(await this.#claim(incoming.backChannel, message))) return
    this.#requests++
    if (incoming.kind === 'invalid') {
      await this.#reply(incoming.backChannel, {
        err: rpcError(RpcCode.INVALID_REQUEST, `Invalid Request: ${incoming.reason}`, GatewayErrorCode.INVALID_REQUEST),
      })
      return
    }
    const outcome = await this.#invoke(incoming.method, incoming.params)
    await this.#reply(incoming.backChannel, outcome.ok ? { err: null, result: outcome.result ?? null } : { err: outcome.error })
  }

  // One round trip: SET key NX PX ttl. True when this process won the request. When Redis fails the claim (it went
  // away after the message arrived) nobody can claim it, so nobody executes it: the caller's timeout reports it.
  // Executing it unclaimed instead could run it once per subscriber, which is what the claim exists to prevent.
  async #claim(backChannel: string, message: string): Promise<boolean> {
    let won: boolean
    try {
      won = (await this.#pub.set(claimKey(this.#channel, backChannel, message), this.#claimant, { NX: true, PX: this.#cfg.claimTtlMs })) === 'OK'
    } catch (err) {
      this.#unclaimed++
      debug('redis request %s not claimed (%o): not executed', backChannel, err)
      return false
    }
    if (!won) {
      this.#duplicates++
      debug('redis request %s claimed by another subscriber', backChannel)
    }
    return won
  }

  async #reply(backChannel: string, reply: WireReply): Promise<void> {
    let text: string
    try {
      text = encodeReply(reply)
    } catch (err) {
      text = encodeReply({ err: rpcError(RpcCode.INTERNAL_ERROR,
        `Internal error: the result could not be serialized to JSON (${(err as Error).message})`, GatewayErrorCode.RESULT_NOT_SERIALIZABLE) })
    }
    try {
      await this.#pub.publish(scoped(this.#cfg.scope, backChannel), text)
    } catch (err) {
      // Redis went away between request and reply; the caller's own timeout reports it.
      debug('redis reply to %s lost: %o', backChannel, err)
    }
  }

  stats(): RedisChannelStats {
    return {
      connected: this.#up,
      channel: this.#channel,
      requests: this.#requests,
      ignored: this.#ignored,
      duplicates: this.#duplicates,
      unclaimed: this.#unclaimed,
      outages: this.#outages,
    }
  }

  // Stops taking requests, lets in-flight ones reply, then closes both connections.
  async stop(): Promise<void> {
    if (this.#stopping) return
    this.#stopping = true
    if (this.#sub.isReady && this.#subscribed) {
      await this.#sub.pUnsubscribe(literalPattern(this.#channel)).catch(() => {})
    }
    await Promise.allSettled([...this.#inflight])
    await Promise.all([shutdownClient(this.#sub), shutdownClient(this.#pub)])
    this.#up = false
  }
}
