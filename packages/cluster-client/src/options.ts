// Options of one cluster client, their defaults and checks.

import { debuglog } from 'node:util'
import { ClusterClientError, ErrorCodes } from './errors.js'
import { DEFAULT_MAX_FRAME_SIZE } from './protocol/packet.js'

export const trace = debuglog('svc:cluster-client')

export interface ClusterLogger {
  info(message: string, ...args: unknown[]): void
  warn(message: string, ...args: unknown[]): void
  error(message: string | Error, ...args: unknown[]): void
}

export interface ClusterOptions {
  /** Channel name shared by every process; default: the DataClient class name. */
  name?: string
  /** Election port on 127.0.0.1. Default 7777. */
  port?: number
  /** Default timeout of an invoke, leader or follower, in ms. Default 3000. */
  responseTimeout?: number
  /** How long a follower waits for the port owner's handshake answer before calling it foreign. Default 1000 ms. */
  handshakeTimeout?: number
  /** Bound on one election, retries included. Default 10 000 ms. */
  electionTimeout?: number
  /** First retry delay of an election round; doubles per round with full jitter. Default 20 ms. */
  backoffInitial?: number
  /** Cap of the retry delay. Default 500 ms. */
  backoffMax?: number
  /** Largest frame accepted or sent, in bytes. Default 8 MiB. Must agree across processes. */
  maxFrameSize?: number
  /** Maps subscription/publication info to the key that deduplicates it. Default: stable JSON. */
  formatKey?: (info: unknown) => string
  /** Publish again, after a failover, what this process published before. Default true (registry semantics). */
  republish?: boolean
  logger?: ClusterLogger
}

export interface ResolvedOptions extends Required<Omit<ClusterOptions, 'name'>> {
  name: string
}

export function resolveOptions(options: ClusterOptions, fallbackName: string): ResolvedOptions {
  const name = options.name ?? fallbackName
  if (typeof name !== 'string' || name.length === 0) {
    throw invalid('`name` must be a non-empty string (or the DataClient class must have a name).')
  }
  const r: ResolvedOptions = {
    name,
    port: options.port ?? 7777,
    responseTimeout: options.responseTimeout ?? 3000,
    handshakeTimeout: options.handshakeTimeout ?? 1000,
    electionTimeout: options.electionTimeout ?? 10_000,
    backoffInitial: options.backoffInitial ?? 20,
    backoffMax: options.backoffMax ?? 500,
    maxFrameSize: options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE,
    formatKey: options.formatKey ?? stableKey,
    republish: options.republish ?? true,
    logger: options.logger ?? defaultLogger(name),
  }
  if (!Number.isInteger(r.port) || r.port < 1 || r.port > 65535) {
    throw invalid(`\`port\` of cluster client "${name}" must be an integer in 1..65535 (got ${String(options.port)}).`)
  }
  for (const k of ['responseTimeout', 'handshakeTimeout', 'electionTimeout', 'backoffInitial', 'backoffMax'] as const) {
    if (!Number.isFinite(r[k]) || r[k] < 0) throw invalid(`\`${k}\` of cluster client "${name}" must be a number >= 0.`)
  }
  if (!Number.isInteger(r.maxFrameSize) || r.maxFrameSize < 1024) {
    throw invalid(`\`maxFrameSize\` of cluster client "${name}" must be an integer >= 1024.`)
  }
  return r
}

function invalid(message: string): ClusterClientError {
  return new ClusterClientError(ErrorCodes.INVALID_OPTIONS, message)
}

/** JSON with sorted object keys, so `{a, b}` and `{b, a}` are one subscription. */
export function stableKey(info: unknown): string {
  return JSON.stringify(info, (_k, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v
    const sorted: Record<string, unknown> = {}
    for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k]
    return sorted
  }) ?? 'undefined'
}

function defaultLogger(name: string): ClusterLogger {
  const prefix = `[cluster-client "${name}" pid ${process.pid}]`
  return {
    info: (message, ...args) => trace(`${prefix} ${message}`, ...args),
    warn: (message, ...args) => console.warn(`${prefix} ${message}`, ...args),
    error: (message, ...args) => console.error(prefix, message, ...args),
  }
}
