// Cluster mode of the service: every host's scheduler joins one NodePool on Redis, and the pool is the
// engine's run gate, so each scheduled run (task, slot) happens on exactly one live host.
//
// Settings come from the service config (`cluster: {...}`) or, when that is absent, from the environment
// core gives every service of a manifest with `cluster: { redis, name }` (SVC_CLUSTER_REDIS, SVC_CLUSTER_NAME).

import { debuglog } from 'node:util'
import { NodePool, RedisDriver, type RunClaim as PoolClaim } from '@services-cluster/nodepool'
import { ErrorCodes, SchedulerError } from './errors.js'
import type { ClaimContext, ClaimRefused, RunClaim, RunGate } from './gate.js'

const debug = debuglog('svc:scheduler')

export interface ClusterConfig {
  // Redis URL. Default: SVC_CLUSTER_REDIS.
  redis?: string
  // Cluster name. Default: SVC_CLUSTER_NAME. The pool is named `<name>/<scheduler service name>`.
  name?: string
  heartbeatMs?: number
  ttlMs?: number
  stableMs?: number
  maxClaimLatenessMs?: number
  claimTtlMs?: number
  replicas?: number
  nodeId?: string
  // Redis key prefix. Default `nodepool:`.
  prefix?: string
}

export interface ClusterSettings extends ClusterConfig {
  redis: string
  pool: string
}

// What `clusterStatus()` returns. `state` is derived: `fenced` wins over steady/upgrading.
export interface ClusterStatus {
  enabled: boolean
  pool: string | null
  nodeId: string | null
  state: 'steady' | 'upgrading' | 'fenced' | 'stopped' | 'disabled'
  members: string[]
  timing: { heartbeatMs: number; ttlMs: number; stableMs: number; maxClaimLatenessMs: number } | null
}

export const DISABLED_STATUS: ClusterStatus = { enabled: false, pool: null, nodeId: null, state: 'disabled', members: [], timing: null }

type Env = Readonly<Record<string, string | undefined>>

// Null when cluster mode is off: no config and no SVC_CLUSTER_REDIS, or `cluster: false`.
export function resolveCluster(config: ClusterConfig | false | undefined, env: Env, service: string): ClusterSettings | null {
  if (config === false) return null
  if (config !== undefined && (typeof config !== 'object' || config === null || Array.isArray(config))) {
    throw clusterConfigError('cluster', 'must be an object ({ redis, name, heartbeatMs, ... }) or false')
  }
  const redis = config?.redis ?? env['SVC_CLUSTER_REDIS']
  if (redis === undefined || redis === '') {
    if (config === undefined) return null
    throw clusterConfigError('cluster.redis', 'is missing: give a Redis URL here or in the manifest\'s cluster: { redis, name }')
  }
  if (typeof redis !== 'string' || !/^rediss?:\/\//.test(redis)) throw clusterConfigError('cluster.redis', `must be a redis:// URL, got ${JSON.stringify(redis)}`)
  const name = config?.name ?? env['SVC_CLUSTER_NAME']
  if (typeof name !== 'string' || name === '') {
    throw clusterConfigError('cluster.name', 'is missing: every host of a cluster must use the same name (the manifest\'s cluster.name)')
  }
  return { ...config, redis, name, pool: `${name}/${service}` }
}

function clusterConfigError(field: string, problem: string, cause?: unknown): SchedulerError {
  return new SchedulerError(ErrorCodes.CLUSTER_CONFIG, `The scheduler's cluster setting "${field}" ${problem}.`, { field, cause })
}

interface Log {
  info(...args: unknown[]): void
  warn(...args: unknown[]): void
}

const ERROR_LOG_INTERVAL_MS = 5_000

export class SchedulerCluster {
  readonly pool: NodePool
  readonly #driver: RedisDriver
  readonly #settings: ClusterSettings
  #lastErrorLog = Number.NEGATIVE_INFINITY
  #suppressed = 0

  constructor(settings: ClusterSettings, log: Log) {
    this.#settings = settings
    const heartbeatMs = settings.heartbeatMs ?? 1000
    this.#driver = new RedisDriver({ url: settings.redis, prefix: settings.prefix, commandTimeoutMs: heartbeatMs })
    try {
      this.pool = new NodePool({
        service: settings.pool,
        driver: this.#driver,
        heartbeatMs,
        ttlMs: settings.ttlMs,
        stableMs: settings.stableMs,
        maxClaimLatenessMs: settings.maxClaimLatenessMs,
        claimTtlMs: settings.claimTtlMs,
        replicas: settings.replicas,
        nodeId: settings.nodeId,
      })
    } catch (error) {
      void this.#driver.close()
      throw clusterConfigError('cluster', `is not valid: ${(error as Error).message}`, error)
    }
    this.pool.on('membership', ({ nodes, added, removed, reregistered }) => {
      log.info(`scheduler: pool "${settings.pool}" members ${nodes.join(', ')} (added: ${added.join(', ') || '-'}; removed: ${removed.join(', ') || '-'}${reregistered ? '; this node re-registered' : ''})`)
    })
    this.pool.on('state', (state) => debug('pool %s: %s', settings.pool, state))
    this.pool.on('fenced', () => log.warn(`scheduler: node ${this.pool.nodeId} could not renew its registration in pool "${settings.pool}" for ${this.pool.ttlMs / 2} ms and runs no task until it can. Is Redis at ${settings.redis} reachable?`))
    this.pool.on('unfenced', () => log.info(`scheduler: node ${this.pool.nodeId} renewed its registration again`))
    // Redis hiccups are reported on every heartbeat; one line per interval is enough.
    this.pool.on('error', (error) => {
      const now = performance.now()
      if (now - this.#lastErrorLog < ERROR_LOG_INTERVAL_MS) return void this.#suppressed++
      const more = this.#suppressed > 0 ? ` (${this.#suppressed} more since the last report)` : ''
      this.#lastErrorLog = now
      this.#suppressed = 0
      log.warn(`scheduler: pool "${settings.pool}": ${error.code} ${error.message}${more}`)
    })
  }

  // Joins the pool (first heartbeat). Rejects with SVC_ERR_SCHED_CLUSTER_UNAVAILABLE, leaving nothing open.
  async start(): Promise<void> {
    try {
      await this.pool.start()
    } catch (error) {
      await this.#driver.close().catch(() => {})
      throw new SchedulerError(
        ErrorCodes.CLUSTER_UNAVAILABLE,
        `The scheduler could not join pool "${this.#settings.pool}" on ${this.#settings.redis}: ${(error as Error).message}. Is Redis running and reachable from this host?`,
        { field: 'cluster.redis', cause: error },
      )
    }
  }

  // The engine's gate: NodePool.tryClaim with the slot's due time, refusals passed on with their reason.
  readonly gate: RunGate = {
    claim: async (task: string, slot: number, { scheduledAt }: ClaimContext): Promise<RunClaim | ClaimRefused> => {
      const attempt = await this.pool.tryClaim(task, slot, { scheduledAt })
      if (attempt.ok) return attempt.claim
      if (attempt.reason === 'error') throw attempt.error
      return { refused: attempt.reason }
    },
    confirm: (claim: RunClaim) => this.pool.confirm(claim as PoolClaim),
  }

  status(): ClusterStatus {
    const pool = this.pool
    const state = !pool.running ? 'stopped' : pool.fenced ? 'fenced' : pool.state
    return {
      enabled: true,
      pool: pool.service,
      nodeId: pool.nodeId,
      state,
      members: pool.running ? pool.nodes() : [],
      timing: { heartbeatMs: pool.heartbeatMs, ttlMs: pool.ttlMs, stableMs: pool.stableMs, maxClaimLatenessMs: pool.maxClaimLatenessMs },
    }
  }

  // Deregisters (the others take over at their next heartbeat) and closes the Redis connection.
  async stop(): Promise<void> {
    try {
      await this.pool.stop()
    } finally {
      await this.#driver.close()
    }
  }
}
