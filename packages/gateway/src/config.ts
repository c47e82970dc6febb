// The gateway's `config` block from the manifest, and its validation into resolved options.

import { configError } from './errors.js'
import { ExposeTable, type ExposeEntry } from './expose.js'

export interface RedisConfig {
  /** Default: the REDIS_URL environment variable, else redis://127.0.0.1:6379. */
  url?: string
  /** Channel the gateway answers on (before the scope prefix). Default "gateway". */
  channel?: string
  /** node-redis-rpc `scope`: every channel is prefixed with `<scope>:`. Default: none. */
  scope?: string
  /** Reconnect backoff bounds. Defaults 100 ms … 5000 ms. */
  minReconnectDelayMs?: number
  maxReconnectDelayMs?: number
  /** How long the claim key of a request lives (see redis/channel.ts). Default 30 000 ms. */
  claimTtlMs?: number
}

export interface GatewayConfig {
  /** TCP port for HTTP; 0 picks a free one (the service logs the real URL). */
  port: number
  /** Interface to bind. Default 127.0.0.1. */
  host?: string
  /** The only methods reachable: "service.method", "service.*", or { pattern, minParams?, maxParams? }. */
  expose: ExposeEntry[]
  /** When set, /rpc and /metrics require `Authorization: Bearer <token>`. */
  token?: string
  /** Largest accepted request body in bytes. Default 1 MiB. */
  bodyLimit?: number
  /** Most requests in one batch. Default 100. */
  maxBatch?: number
  /** Passed to each service call; the service runtime enforces it. */
  callTimeoutMs?: number
  /** A Redis URL, or options; enables the node-redis-rpc compatible channel. */
  redis?: string | RedisConfig
}

export interface ResolvedRedis {
  url: string
  channel: string
  scope: string
  minReconnectDelayMs: number
  maxReconnectDelayMs: number
  claimTtlMs: number
}

export interface ResolvedConfig {
  port: number
  host: string
  expose: ExposeTable
  token: string | undefined
  bodyLimit: number
  maxBatch: number
  callTimeoutMs: number | undefined
  redis: ResolvedRedis | undefined
}

export const DEFAULT_BODY_LIMIT = 1024 * 1024
export const DEFAULT_MAX_BATCH = 100
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379'
/** How long a request's claim key lives. Long enough that every subscriber has seen the request (pub/sub reaches them
 * within milliseconds; this covers event-loop stalls of seconds and outlives the client's 10 s timeout), short enough
 * that 10 000 requests/s keep only ~300 000 small keys (tens of MB) in Redis. */
export const DEFAULT_CLAIM_TTL_MS = 30_000

const positiveInt = (field: string, v: unknown, fallback: number): number => {
  if (v === undefined) return fallback
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw configError(field, 'must be a whole number > 0')
  return v
}

const nonEmpty = (field: string, v: unknown, fallback: string): string => {
  if (v === undefined) return fallback
  if (typeof v !== 'string' || v === '') throw configError(field, 'must be a non-empty string')
  return v
}

function resolveRedis(raw: unknown, env: Readonly<Record<string, string | undefined>>): ResolvedRedis | undefined {
  if (raw === undefined || raw === null || raw === false) return undefined
  const cfg: RedisConfig = typeof raw === 'string' ? { url: raw } : raw === true ? {} : (raw as RedisConfig)
  if (typeof cfg !== 'object') throw configError('redis', 'must be a URL string or { url?, channel?, scope? }')
  const min = positiveInt('redis.minReconnectDelayMs', cfg.minReconnectDelayMs, 100)
  const max = positiveInt('redis.maxReconnectDelayMs', cfg.maxReconnectDelayMs, 5000)
  if (min > max) throw configError('redis.minReconnectDelayMs', 'is greater than redis.maxReconnectDelayMs')
  const scope = cfg.scope === undefined ? '' : nonEmpty('redis.scope', cfg.scope, '')
  return {
    url: nonEmpty('redis.url', cfg.url, env.REDIS_URL || DEFAULT_REDIS_URL),
    channel: nonEmpty('redis.channel', cfg.channel, 'gateway'),
    scope,
    minReconnectDelayMs: min,
    maxReconnectDelayMs: max,
    claimTtlMs: positiveInt('redis.claimTtlMs', cfg.claimTtlMs, DEFAULT_CLAIM_TTL_MS),
  }
}

export function resolveConfig(
  raw: unknown,
  env: Readonly<Record<string, string | undefined>> = process.env,
): ResolvedConfig {
  if (typeof raw !== 'object' || raw === null) throw configError('config', 'is missing; give at least { port, expose }')
  const cfg = raw as Partial<GatewayConfig>
  const port = cfg.port
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw configError('port', 'must be a whole number 0…65535 (0 picks a free port)')
  }
  if (cfg.token !== undefined && (typeof cfg.token !== 'string' || cfg.token.length === 0)) {
    throw configError('token', 'must be a non-empty string when set')
  }
  if (cfg.callTimeoutMs !== undefined) positiveInt('callTimeoutMs', cfg.callTimeoutMs, 0)
  return {
    port,
    host: nonEmpty('host', cfg.host, '127.0.0.1'),
    expose: new ExposeTable(cfg.expose),
    token: cfg.token,
    bodyLimit: positiveInt('bodyLimit', cfg.bodyLimit, DEFAULT_BODY_LIMIT),
    maxBatch: positiveInt('maxBatch', cfg.maxBatch, DEFAULT_MAX_BATCH),
    callTimeoutMs: cfg.callTimeoutMs,
    redis: resolveRedis(cfg.redis, env),
  }
}
