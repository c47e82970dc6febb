// Checks a manifest field by field and fills in defaults, before anything is spawned.

import { svcError } from '../errors.js'
import { DependencyGraph } from '../graph/dependency-graph.js'
import { resolveEntry } from './resolve-entry.js'
import type { HealthCheck, LogOptions, Manifest, Permissions, RestartPolicyName, ServiceSpec } from './types.js'

/** A graph of up to this many services runs no spawner unless its manifest asks: with one, 3 and 10 services took
 * 13–19 % longer to start than forked in the manager, one per turn of its event loop, at about the same worst stall;
 * from 20 on, its lower stall is worth its ≈ 5–6 % (docs/supervision.md). */
const INLINE_UP_TO_SERVICES = 16

export interface ResolvedRestart {
  policy: RestartPolicyName
  backoff: { initialMs: number; maxMs: number; factor: number; jitter: number }
  maxRestarts: number
  windowMs: number
  warmSpare: boolean
}

export interface ResolvedService {
  name: string
  entry: string
  dependsOn: string[]
  config: unknown
  env: Record<string, string>
  permissions: Permissions
  /** Who this service may call: `permissions.calls`, else its dependencies. */
  calls: string[]
  restart: ResolvedRestart
  critical: boolean
  /** Calls to it may go over a direct socket (see ServiceSpec.direct). */
  direct: boolean
  startTimeoutMs: number
  stopTimeoutMs: number
  killTimeoutMs: number
  health: Required<Omit<HealthCheck, 'method' | 'url'>> & Pick<HealthCheck, 'method' | 'url'> | null
  logs: Required<Omit<LogOptions, 'file'>> & { file: string | null }
  /** Set for services created with ctx.spawnChild. */
  parent: string | null
  /** The directory the service process runs in: the project's (the manifest's directory). */
  cwd: string
}

export interface ResolvedManifest {
  services: ResolvedService[]
  graph: DependencyGraph
  stateDir: string
  cwd: string
  /** `cluster` from the manifest; every service also gets it as SVC_CLUSTER_REDIS / SVC_CLUSTER_NAME. */
  cluster: { redis: string; name: string } | null
  /** Services are forked by a spawner process (container/spawner.ts): as the manifest says, else by its size. */
  spawner: boolean
}

const POLICIES: RestartPolicyName[] = ['never', 'on-failure', 'always']
const SERVICE_FIELDS = [
  'entry', 'dependsOn', 'config', 'env', 'permissions', 'restart', 'critical', 'direct',
  'startTimeoutMs', 'stopTimeoutMs', 'killTimeoutMs', 'health', 'logs',
]
const MANIFEST_FIELDS = ['services', 'stateDir', 'cluster', 'spawner']

export type EntryResolver = (service: string, entry: string, cwd: string) => string

export function normalizeManifest(manifest: Manifest, cwd: string, resolve: EntryResolver = resolveEntry): ResolvedManifest {
  if (!manifest || typeof manifest !== 'object' || !manifest.services || typeof manifest.services !== 'object') {
    throw svcError('SVC_ERR_MANIFEST_INVALID', 'The manifest has no "services" object. Export defineServices({ services: { ... } }).')
  }
  for (const key of Object.keys(manifest)) {
    if (!MANIFEST_FIELDS.includes(key)) {
      throw svcError('SVC_ERR_MANIFEST_INVALID', `The manifest has an unknown field "${key}"${hint(key, MANIFEST_FIELDS)}. Known fields: ${MANIFEST_FIELDS.join(', ')}.`, {
        details: { field: key },
      })
    }
  }
  const entries = Object.entries(manifest.services)
  const graph = new DependencyGraph(entries.map(([name, spec]) => [name, dependsOnOf(name, spec)]))
  const cluster = clusterOf(manifest.cluster)
  const services = entries.map(([name, spec]) => {
    const service = normalizeService(name, spec, cwd, null, resolve)
    // Cluster membership reaches every service as environment (the scheduler joins the pool with it).
    if (cluster) service.env = { SVC_CLUSTER_REDIS: cluster.redis, SVC_CLUSTER_NAME: cluster.name, ...service.env }
    return service
  })
  for (const s of services) {
    for (const target of s.calls) {
      if (!graph.has(target)) {
        throw invalid(s.name, 'permissions.calls', `names "${target}", which is not declared`)
      }
    }
  }
  if (manifest.spawner !== undefined && typeof manifest.spawner !== 'boolean') {
    throw svcError('SVC_ERR_MANIFEST_INVALID', `The manifest's spawner must be true or false, not ${JSON.stringify(manifest.spawner)}.`, {
      details: { field: 'spawner' },
    })
  }
  const stateDir = manifest.stateDir ?? '.svc'
  const spawner = manifest.spawner ?? services.length > INLINE_UP_TO_SERVICES
  return { services, graph, stateDir: stateDir.startsWith('/') ? stateDir : `${cwd}/${stateDir}`, cwd, cluster, spawner }
}

function clusterOf(cluster: Manifest['cluster']): ResolvedManifest['cluster'] {
  if (cluster === undefined) return null
  if (!cluster || typeof cluster.redis !== 'string' || typeof cluster.name !== 'string' || cluster.name === '') {
    throw svcError('SVC_ERR_MANIFEST_INVALID', 'The manifest\'s cluster needs { redis: "redis://host:port", name: "pool-name" }.', {
      details: { field: 'cluster' },
    })
  }
  return { redis: cluster.redis, name: cluster.name }
}

export function normalizeService(
  name: string,
  spec: ServiceSpec,
  cwd: string,
  parent: string | null = null,
  resolve: EntryResolver = resolveEntry,
): ResolvedService {
  if (!spec || typeof spec !== 'object') throw invalid(name, 'entry', 'is missing: each service needs { entry }')
  // A misspelt field would otherwise be ignored silently (jiti strips types, so tsc is the only other guard).
  for (const key of Object.keys(spec)) {
    if (!SERVICE_FIELDS.includes(key)) throw invalid(name, key, `is not a service field${hint(key, SERVICE_FIELDS)}`)
  }
  const dependsOn = dependsOnOf(name, spec)
  const permissions = spec.permissions ?? {}
  if (typeof permissions !== 'object') throw invalid(name, 'permissions', 'must be an object')
  return {
    name,
    entry: resolve(name, spec.entry, cwd),
    dependsOn,
    config: spec.config ?? {},
    env: stringRecord(name, 'env', spec.env),
    permissions,
    calls: [...(permissions.calls ?? dependsOn)],
    restart: restartOf(name, spec.restart),
    critical: spec.critical === true,
    direct: flag(name, 'direct', spec.direct),
    startTimeoutMs: positive(name, 'startTimeoutMs', spec.startTimeoutMs, 30_000),
    stopTimeoutMs: positive(name, 'stopTimeoutMs', spec.stopTimeoutMs, 5_000),
    killTimeoutMs: positive(name, 'killTimeoutMs', spec.killTimeoutMs, 3_000),
    health: spec.health ? healthOf(name, spec.health) : null,
    logs: {
      bufferLines: positive(name, 'logs.bufferLines', spec.logs?.bufferLines, 1_000),
      file: spec.logs?.file ?? null,
      maxBytes: positive(name, 'logs.maxBytes', spec.logs?.maxBytes, 10 * 1024 * 1024),
      maxFiles: positive(name, 'logs.maxFiles', spec.logs?.maxFiles, 3),
    },
    parent,
    cwd,
  }
}

function dependsOnOf(name: string, spec: ServiceSpec | undefined): string[] {
  const deps = spec?.dependsOn ?? []
  if (!Array.isArray(deps) || deps.some((d) => typeof d !== 'string')) {
    throw invalid(name, 'dependsOn', 'must be an array of service names')
  }
  return deps
}

function restartOf(name: string, restart: ServiceSpec['restart']): ResolvedRestart {
  const r = typeof restart === 'string' ? { policy: restart } : (restart ?? {})
  const policy = r.policy ?? 'on-failure'
  if (!POLICIES.includes(policy)) throw invalid(name, 'restart.policy', `must be one of ${POLICIES.join(', ')}`)
  const b = r.backoff ?? {}
  const jitter = b.jitter ?? 0.2
  if (jitter < 0 || jitter > 1) throw invalid(name, 'restart.backoff.jitter', 'must be between 0 and 1')
  return {
    policy,
    backoff: {
      initialMs: nonNegative(name, 'restart.backoff.initialMs', b.initialMs, 100),
      maxMs: positive(name, 'restart.backoff.maxMs', b.maxMs, 30_000),
      factor: positive(name, 'restart.backoff.factor', b.factor, 2),
      jitter,
    },
    maxRestarts: nonNegative(name, 'restart.maxRestarts', r.maxRestarts, 5),
    windowMs: positive(name, 'restart.windowMs', r.windowMs, 60_000),
    warmSpare: flag(name, 'restart.warmSpare', r.warmSpare),
  }
}

function flag(name: string, field: string, value: unknown): boolean {
  if (value === undefined) return false
  if (typeof value !== 'boolean') throw invalid(name, field, 'must be true or false')
  return value
}

function healthOf(name: string, h: HealthCheck): NonNullable<ResolvedService['health']> {
  if (!h.method === !h.url) throw invalid(name, 'health', 'needs exactly one of method or url')
  return {
    method: h.method,
    url: h.url,
    intervalMs: positive(name, 'health.intervalMs', h.intervalMs, 10_000),
    timeoutMs: positive(name, 'health.timeoutMs', h.timeoutMs, 5_000),
    failureThreshold: positive(name, 'health.failureThreshold', h.failureThreshold, 3),
  }
}

function stringRecord(name: string, field: string, value: unknown): Record<string, string> {
  if (value === undefined) return {}
  if (typeof value !== 'object' || value === null || Object.values(value).some((v) => typeof v !== 'string')) {
    throw invalid(name, field, 'must be an object of string values')
  }
  return value as Record<string, string>
}

function positive(name: string, field: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !(value > 0)) throw invalid(name, field, 'must be a number greater than 0')
  return value
}

function nonNegative(name: string, field: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !(value >= 0)) throw invalid(name, field, 'must be a number ≥ 0')
  return value
}

function invalid(service: string, field: string, problem: string) {
  return svcError('SVC_ERR_MANIFEST_INVALID', `Service "${service}": ${field} ${problem}.`, {
    service,
    details: { field },
  })
}

// "did you mean …?" for a field one or two edits away from a known one.
function hint(key: string, known: string[]): string {
  const near = known.find((k) => distance(k.toLowerCase(), key.toLowerCase()) <= 2)
  return near ? ` (did you mean "${near}"?)` : ''
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const next = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1))
      prev = row[j]!
      row[j] = next
    }
  }
  return row[b.length]!
}
