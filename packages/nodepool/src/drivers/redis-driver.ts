// Redis-backed driver. Works with a node-redis (v4/v5) client or an ioredis client, or creates its own
// node-redis client from a URL.
//
// Layout (one pool, all keys under the `{service}` hash tag):
//   <prefix>{svc}:node:<id>        SET <lease> PX ttl, renewed on every heartbeat: the registration itself
//   <prefix>{svc}:members          sorted set, member = node id, score = expiry by Redis TIME (ms): the listing
//   <prefix>{svc}:run:<job>:<slot> per-run claim (job URI-encoded; see claims/run-claim.ts)
//   <prefix>{svc}:fence:<job>      last fencing token of a job (job URI-encoded)
// Heartbeat = one Lua script: register or renew, index in the sorted set, drop expired entries, list. Every
// expiry is computed from Redis' clock (TIME, PX), never from the nodes' clocks.

import { createHash } from 'node:crypto'
import { createClient } from 'redis'
import {
  CLAIM_SCRIPT,
  CONFIRM_SCRIPT,
  FENCE_KEY_TTL_MS,
  PoolKeys,
  runValue,
} from '../claims/run-claim.js'
import { PoolError, PoolErrorCode } from '../errors.js'
import type {
  CallOptions,
  ClaimRequest,
  ClaimResult,
  ConfirmRequest,
  ConfirmResult,
  HeartbeatRequest,
  HeartbeatResult,
  PoolDriver,
} from './driver.js'

/**
 * KEYS: node key, members key. ARGV: instance, lease ('' if none), ttl ms, node id.
 * Returns {'ok', lease, fresh, nowMs, {members}} or {'conflict', holder}.
 */
const HEARTBEAT_SCRIPT = `
if redis.replicate_commands then pcall(redis.replicate_commands) end
local t = redis.call('TIME')
local nowMs = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local cur = redis.call('GET', KEYS[1])
local prefix = ARGV[1] .. '|'
local lease
local fresh = 0
if not cur then
  lease = prefix .. t[1] .. string.format('%06d', tonumber(t[2]))
  fresh = 1
elseif cur == ARGV[2] then
  lease = cur
elseif string.sub(cur, 1, string.len(prefix)) == prefix then
  lease = cur
  fresh = 1
else
  return {'conflict', cur}
end
local ttl = tonumber(ARGV[3])
redis.call('SET', KEYS[1], lease, 'PX', ttl)
redis.call('ZADD', KEYS[2], nowMs + ttl, ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', nowMs)
if redis.call('PTTL', KEYS[2]) < ttl then redis.call('PEXPIRE', KEYS[2], ttl) end
return {'ok', lease, fresh, nowMs, redis.call('ZRANGE', KEYS[2], 0, -1)}
`

/** KEYS: members key. Returns live members (score = expiry > now). */
const MEMBERS_SCRIPT = `
local t = redis.call('TIME')
local nowMs = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. nowMs, '+inf')
`

/** KEYS: node key, members key. ARGV: lease, node id. */
const DEREGISTER_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[2], ARGV[2])
  return 1
end
return 0
`

class Script {
  readonly sha: string
  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex')
  }
}

const scripts = {
  heartbeat: new Script(HEARTBEAT_SCRIPT),
  members: new Script(MEMBERS_SCRIPT),
  deregister: new Script(DEREGISTER_SCRIPT),
  claim: new Script(CLAIM_SCRIPT),
  confirm: new Script(CONFIRM_SCRIPT),
}

/** The part of a node-redis (v4/v5) client this driver uses. */
export interface NodeRedisLike {
  sendCommand(args: string[], options?: { timeout?: number }): Promise<unknown>
  on?(event: string, listener: (...args: any[]) => void): unknown
  off?(event: string, listener: (...args: any[]) => void): unknown
}

/** The part of an ioredis client this driver uses. */
export interface IoredisLike {
  call(command: string, ...args: string[]): Promise<unknown>
  on?(event: string, listener: (...args: any[]) => void): unknown
  off?(event: string, listener: (...args: any[]) => void): unknown
}

export type RedisClientLike = NodeRedisLike | IoredisLike

export interface RedisDriverOptions {
  /** An existing client (node-redis or ioredis). The driver never closes it. Give this or `url`. */
  client?: RedisClientLike
  /**
   * Create and own a node-redis client for this URL (closed by `close()`). It is created with
   * `disableOfflineQueue` (a command is never sent late, after a reconnect) and reconnects every
   * `reconnectDelayMs`.
   */
  url?: string
  /** Key prefix. Default `nodepool:`. */
  prefix?: string
  /** Reconnect delay of an owned client. Default 50 ms. */
  reconnectDelayMs?: number
  /** Per-command timeout when the caller gives none. Default 2000 ms. */
  commandTimeoutMs?: number
}

type Send = (args: string[], timeoutMs: number | undefined) => Promise<unknown>

function isIoredis(client: RedisClientLike): client is IoredisLike {
  return typeof (client as IoredisLike).call === 'function'
}

export class RedisDriver implements PoolDriver {
  readonly kind = 'redis'
  readonly prefix: string
  readonly #client: RedisClientLike
  readonly #owned: boolean
  readonly #send: Send
  readonly #commandTimeoutMs: number
  #connecting: Promise<void> | null = null
  #closed = false

  constructor(options: RedisDriverOptions) {
    this.prefix = options.prefix ?? 'nodepool:'
    this.#commandTimeoutMs = options.commandTimeoutMs ?? 2000
    if (options.client) {
      this.#client = options.client
      this.#owned = false
    } else if (options.url) {
      const delay = options.reconnectDelayMs ?? 50
      const client = createClient({
        url: options.url,
        disableOfflineQueue: true,
        socket: { reconnectStrategy: () => delay, connectTimeout: Math.max(1000, delay * 4) },
      })
      // node-redis emits 'error' on every failed reconnect; without a listener that would crash the process.
      client.on('error', () => {})
      this.#client = client as unknown as NodeRedisLike
      this.#owned = true
      this.#connecting = client.connect().then(
        () => undefined,
        (err: unknown) => {
          this.#connecting = null
          throw new PoolError(PoolErrorCode.DRIVER, `cannot connect to ${options.url}`, { cause: err })
        },
      )
      this.#connecting.catch(() => {}) // surfaced on first use
    } else {
      throw new PoolError(PoolErrorCode.CONFIG, 'RedisDriver needs `client` or `url`')
    }
    const client = this.#client
    this.#send = isIoredis(client)
      ? (args) => client.call(args[0]!, ...args.slice(1))
      : (args, timeoutMs) => (client as NodeRedisLike).sendCommand(args, timeoutMs ? { timeout: timeoutMs } : undefined)
  }

  /** The underlying client (for callers that want to share it). */
  get client(): RedisClientLike {
    return this.#client
  }

  async #ready(): Promise<void> {
    if (this.#closed) throw new PoolError(PoolErrorCode.DRIVER, 'driver closed')
    if (this.#connecting) await this.#connecting
  }

  async #eval(script: Script, keys: string[], args: string[], options?: CallOptions): Promise<unknown> {
    await this.#ready()
    const timeoutMs = options?.timeoutMs ?? this.#commandTimeoutMs
    const tail = [String(keys.length), ...keys, ...args]
    try {
      return await this.#send(['EVALSHA', script.sha, ...tail], timeoutMs)
    } catch (err) {
      // Script cache is empty after a Redis restart (or on a new server): send the source once.
      if (err instanceof Error && /NOSCRIPT/.test(err.message)) {
        try {
          return await this.#send(['EVAL', script.source, ...tail], timeoutMs)
        } catch (err2) {
          throw wrap(err2)
        }
      }
      throw wrap(err)
    }
  }

  #keys(service: string): PoolKeys {
    return new PoolKeys(this.prefix, service)
  }

  async heartbeat(req: HeartbeatRequest, options?: CallOptions): Promise<HeartbeatResult> {
    const k = this.#keys(req.service)
    const reply = (await this.#eval(
      scripts.heartbeat,
      [k.node(req.nodeId), k.members()],
      [req.instance, req.lease ?? '', String(Math.ceil(req.ttlMs)), req.nodeId],
      options,
    )) as unknown[]
    if (!Array.isArray(reply)) throw unexpected('heartbeat', reply)
    if (reply[0] === 'conflict') return { ok: false, reason: 'conflict', holder: String(reply[1]) }
    if (reply[0] !== 'ok' || !Array.isArray(reply[4])) throw unexpected('heartbeat', reply)
    return {
      ok: true,
      lease: String(reply[1]),
      fresh: Number(reply[2]) === 1,
      serverTimeMs: Number(reply[3]),
      nodes: (reply[4] as unknown[]).map(String).sort(),
    }
  }

  async members(service: string, options?: CallOptions): Promise<string[]> {
    const reply = await this.#eval(scripts.members, [this.#keys(service).members()], [], options)
    if (!Array.isArray(reply)) throw unexpected('members', reply)
    return reply.map(String).sort()
  }

  async deregister(service: string, nodeId: string, lease: string, options?: CallOptions): Promise<void> {
    const k = this.#keys(service)
    await this.#eval(scripts.deregister, [k.node(nodeId), k.members()], [lease, nodeId], options)
  }

  async claim(req: ClaimRequest, options?: CallOptions): Promise<ClaimResult> {
    const k = this.#keys(req.service)
    const reply = (await this.#eval(
      scripts.claim,
      [k.node(req.nodeId), k.run(req.job, req.slot), k.fence(req.job)],
      [req.lease, req.nodeId, String(Math.ceil(req.ttlMs)), String(FENCE_KEY_TTL_MS)],
      options,
    )) as unknown[]
    if (!Array.isArray(reply)) throw unexpected('claim', reply)
    if (Number(reply[0]) === 1) return { ok: true, token: Number(reply[1]) }
    const reason = String(reply[1])
    if (reason === 'taken' || reason === 'lease') return { ok: false, reason }
    throw unexpected('claim', reply)
  }

  async confirm(req: ConfirmRequest, options?: CallOptions): Promise<ConfirmResult> {
    const k = this.#keys(req.service)
    const reply = String(
      await this.#eval(
        scripts.confirm,
        [k.node(req.nodeId), k.run(req.job, req.slot)],
        [req.lease, runValue(req.token, req.nodeId, req.lease)],
        options,
      ),
    )
    if (reply === 'ok') return { ok: true }
    if (reply === 'expired' || reply === 'superseded' || reply === 'lease') return { ok: false, reason: reply }
    throw unexpected('confirm', reply)
  }

  onReconnect(listener: () => void): () => void {
    const client = this.#client
    if (typeof client.on !== 'function') return () => {}
    // node-redis and ioredis both emit 'ready' once the connection is usable again (and on the first connect,
    // where an extra heartbeat is harmless).
    const onReady = () => listener()
    client.on('ready', onReady)
    return () => {
      client.off?.('ready', onReady)
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    if (!this.#owned) return
    const client = this.#client as unknown as {
      isReady?: boolean
      destroy?: () => void
      close?: () => Promise<unknown>
      quit?: () => Promise<unknown>
    }
    try {
      if (client.isReady === false) client.destroy?.() // never connected, or reconnecting: nothing to flush
      else if (typeof client.close === 'function') await client.close()
      else if (typeof client.quit === 'function') await client.quit()
    } catch {
      client.destroy?.()
    }
  }
}

function wrap(err: unknown): PoolError {
  if (err instanceof PoolError) return err
  const message = err instanceof Error ? err.message : String(err)
  const code = err instanceof Error && /timeout/i.test(err.name + err.message) ? PoolErrorCode.TIMEOUT : PoolErrorCode.DRIVER
  return new PoolError(code, `redis: ${message}`, { cause: err })
}

function unexpected(what: string, reply: unknown): PoolError {
  return new PoolError(PoolErrorCode.DRIVER, `unexpected ${what} reply: ${JSON.stringify(reply)}`)
}
