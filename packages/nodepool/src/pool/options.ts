// NodePool options: their defaults and the checks that keep the timing invariants (ttl, stable, lateness) sound.

import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import { performance } from 'node:perf_hooks'
import type { PoolDriver } from '../drivers/driver.js'
import { PoolError, PoolErrorCode } from '../errors.js'
import { DEFAULT_REPLICAS } from '../ring/hash-ring.js'

export interface BoundedLoadConfig {
  /** No node takes more than ceil((1 + epsilon) x average) of `jobs`. */
  epsilon: number
  /** The jobs to balance (the same set on every node: the manifest's). Jobs outside it use the plain ring. */
  jobs?: Iterable<string>
}

export interface NodePoolOptions {
  /** Name of the pool: nodes with the same `service` (and store) share work. */
  service: string
  driver: PoolDriver
  /** Renewal and membership poll interval. Default 1000 ms. */
  heartbeatMs?: number
  /** Registration lifetime without renewal, by the store's clock. Must exceed 2 x `heartbeatMs`. Default 5 x `heartbeatMs`. */
  ttlMs?: number
  /** Virtual nodes per member on the ring. Default 160. */
  replicas?: number
  /** Bounded-load assignment of a known job set. */
  boundedLoad?: BoundedLoadConfig
  /** How long membership must be unchanged before the pool is `steady` again. At least `heartbeatMs`. Default 2 x `heartbeatMs`. */
  stableMs?: number
  /** Lifetime of a run claim in the store: longer than a run and than any lateness a slot is claimed with. Default 60 000 ms. */
  claimTtlMs?: number
  /** Claims with `scheduledAt` later than this are refused. Default `stableMs / 2`. Must stay below `stableMs` minus the clock skew between hosts. */
  maxClaimLatenessMs?: number
  /** This node's id. Default `<hostname>-<pid>-<random>`. */
  nodeId?: string
  /** Timeout of each driver call. Default `heartbeatMs`. */
  requestTimeoutMs?: number
  /** Run the heartbeat loop (default true). False: call `heartbeat()` yourself (tests, external loops). */
  autoHeartbeat?: boolean
  /** Clocks, for tests. `monotonic` (default `performance.now`) measures intervals; `wall` (default `Date.now`) is only compared with `scheduledAt`. */
  clock?: { monotonic?: () => number; wall?: () => number }
}

export interface ResolvedOptions {
  service: string
  driver: PoolDriver
  heartbeatMs: number
  ttlMs: number
  stableMs: number
  replicas: number
  claimTtlMs: number
  maxClaimLatenessMs: number
  requestTimeoutMs: number
  /** Set only with `boundedLoad`. */
  epsilon: number | undefined
  jobs: string[] | undefined
  nodeId: string
  autoHeartbeat: boolean
  mono: () => number
  wall: () => number
}

function positive(name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new PoolError(PoolErrorCode.CONFIG, `${name} must be a positive number, got ${String(value)}`)
  }
  return value
}

// Applies the defaults and throws SVC_ERR_POOL_CONFIG on the first option out of range.
export function resolveOptions(options: NodePoolOptions): ResolvedOptions {
  if (!options || typeof options.service !== 'string' || options.service === '') {
    throw new PoolError(PoolErrorCode.CONFIG, '`service` must be a non-empty string')
  }
  if (!options.driver || typeof options.driver.heartbeat !== 'function') {
    throw new PoolError(PoolErrorCode.CONFIG, '`driver` must be a PoolDriver (MemoryDriver or RedisDriver)')
  }
  const heartbeatMs = positive('heartbeatMs', options.heartbeatMs ?? 1000)
  const ttlMs = positive('ttlMs', options.ttlMs ?? heartbeatMs * 5)
  if (ttlMs <= 2 * heartbeatMs) {
    throw new PoolError(
      PoolErrorCode.CONFIG,
      `ttlMs (${ttlMs}) must be greater than 2 x heartbeatMs (${heartbeatMs}): a node fences itself after ttlMs / 2 without renewal`,
    )
  }
  const stableMs = positive('stableMs', options.stableMs ?? heartbeatMs * 2)
  if (stableMs < heartbeatMs) {
    throw new PoolError(
      PoolErrorCode.CONFIG,
      `stableMs (${stableMs}) must be at least heartbeatMs (${heartbeatMs}) so every node sees a change before any node is steady again`,
    )
  }
  const replicas = options.replicas ?? DEFAULT_REPLICAS
  if (!Number.isInteger(replicas) || replicas < 1) {
    throw new PoolError(PoolErrorCode.CONFIG, `replicas must be a positive integer, got ${String(replicas)}`)
  }
  const claimTtlMs = positive('claimTtlMs', options.claimTtlMs ?? 60_000)
  const maxClaimLatenessMs = positive('maxClaimLatenessMs', options.maxClaimLatenessMs ?? stableMs / 2)
  const requestTimeoutMs = positive('requestTimeoutMs', options.requestTimeoutMs ?? heartbeatMs)
  let epsilon: number | undefined
  let jobs: string[] | undefined
  if (options.boundedLoad) {
    epsilon = options.boundedLoad.epsilon
    if (typeof epsilon !== 'number' || !Number.isFinite(epsilon) || epsilon < 0) {
      throw new PoolError(PoolErrorCode.CONFIG, `boundedLoad.epsilon must be a number >= 0, got ${String(epsilon)}`)
    }
    jobs = options.boundedLoad.jobs ? [...options.boundedLoad.jobs] : []
  }
  const nodeId = options.nodeId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`
  if (typeof nodeId !== 'string' || nodeId === '') {
    throw new PoolError(PoolErrorCode.CONFIG, '`nodeId` must be a non-empty string')
  }
  return {
    service: options.service,
    driver: options.driver,
    heartbeatMs,
    ttlMs,
    stableMs,
    replicas,
    claimTtlMs,
    maxClaimLatenessMs,
    requestTimeoutMs,
    epsilon,
    jobs,
    nodeId,
    autoHeartbeat: options.autoHeartbeat ?? true,
    mono: options.clock?.monotonic ?? (() => performance.now()),
    wall: options.clock?.wall ?? Date.now,
  }
}
