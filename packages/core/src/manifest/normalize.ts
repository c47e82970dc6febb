// Checks a manifest field by field and fills in defaults, before anything is spawned.

import { svcError } from '../errors.js'
import { DependencyGraph } from '../graph/dependency-graph.js'
import { Checker, isObject, manifestInvalid, type ManifestProblem } from './checks.js'
import { resolveEntry } from './resolve-entry.js'
import { readService } from './service-fields.js'
import type { PolledProbe } from '../probes/types.js'
import type { LogOptions, Manifest, Permissions, RestartPolicyName, ServiceSpec } from './types.js'

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

export interface ResolvedHealth {
  /** A method of the service, called through it; or a probe the manager runs from outside (`url` is an http probe). */
  check: { method: string } | { probe: PolledProbe }
  intervalMs: number
  timeoutMs: number
  failureThreshold: number
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
  health: ResolvedHealth | null
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

const MANIFEST_FIELDS = ['services', 'stateDir', 'cluster', 'spawner']
const CLUSTER_FIELDS = ['redis', 'name']

export type EntryResolver = (service: string, entry: string, cwd: string) => string

// Every field of every service is checked before anything throws, so that one error lists every problem;
// the graph (names, dependencies, cycles) and the entries on disk are checked after, with their own codes.
export function normalizeManifest(manifest: Manifest, cwd: string, resolve: EntryResolver = resolveEntry): ResolvedManifest {
  if (!isObject(manifest) || !isObject(manifest.services)) {
    throw svcError('SVC_ERR_MANIFEST_INVALID', 'The manifest has no "services" object. Export defineServices({ services: { ... } }).')
  }
  const problems: ManifestProblem[] = []
  const top = new Checker(problems, null)
  top.knownKeys(manifest, null, MANIFEST_FIELDS)
  const stateDir = top.text(manifest.stateDir, 'stateDir', 'a directory path') ?? '.svc'
  const cluster = clusterOf(top, manifest.cluster)
  const spawnerFlag = top.flag(manifest.spawner, 'spawner')
  const names = Object.keys(manifest.services)
  const fields = Object.entries(manifest.services).map(([name, spec]) => readService(top.forService(name), spec, names))
  if (problems.length > 0) throw manifestInvalid(problems)
  const graph = new DependencyGraph(fields.map((f) => [f.name, f.dependsOn]))
  const services = fields.map((f): ResolvedService => {
    const service = { ...f, entry: resolve(f.name, f.entry, cwd), parent: null, cwd }
    // Cluster membership reaches every service as environment (the scheduler joins the pool with it).
    if (cluster) service.env = { SVC_CLUSTER_REDIS: cluster.redis, SVC_CLUSTER_NAME: cluster.name, ...service.env }
    return service
  })
  const spawner = spawnerFlag ?? services.length > INLINE_UP_TO_SERVICES
  return { services, graph, stateDir: stateDir.startsWith('/') ? stateDir : `${cwd}/${stateDir}`, cwd, cluster, spawner }
}

function clusterOf(c: Checker, value: unknown): ResolvedManifest['cluster'] {
  const accepted = '{ redis: "redis://host:port", name: "pool-name" }'
  const cluster = c.object(value, 'cluster', CLUSTER_FIELDS, accepted)
  if (!cluster) return null
  const redis = c.text(cluster.redis, 'cluster.redis', 'a Redis URL such as "redis://host:port"')
  const name = c.text(cluster.name, 'cluster.name', 'the name of the pool')
  for (const [key, v] of [['redis', redis], ['name', name]] as const) {
    if (cluster[key] === undefined && v === undefined) c.fail(`cluster.${key}`, `is missing: cluster needs ${accepted}`)
  }
  return redis && name ? { redis, name } : null
}

/** One service, checked and resolved; throws SVC_ERR_MANIFEST_INVALID with every problem it has. */
export function normalizeService(
  name: string,
  spec: ServiceSpec,
  cwd: string,
  parent: string | null = null,
  resolve: EntryResolver = resolveEntry,
): ResolvedService {
  const problems: ManifestProblem[] = []
  const fields = readService(new Checker(problems, name), spec, null)
  if (problems.length > 0) throw manifestInvalid(problems)
  return { ...fields, entry: resolve(name, fields.entry, cwd), parent, cwd }
}
