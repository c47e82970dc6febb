// Checks a manifest field by field and fills in defaults, before anything is spawned.

import { dirname, resolve as resolvePath } from 'node:path'
import { svcError } from '../errors.js'
import { DependencyGraph } from '../graph/dependency-graph.js'
import { Checker, isObject, manifestInvalid, type ManifestProblem } from './checks.js'
import type { ResolvedListen } from './listen-field.js'
import { resolveEntry } from './resolve-entry.js'
import { readService, type ServiceFields } from './service-fields.js'
import { readEnvFiles } from './env-files.js'
import { checkServiceNats, natsAccessOf } from './nats-field.js'
import { DEFAULT_METRICS_HOST } from '../metrics/metrics-server.js'
import type { PolledProbe, ResolvedProbe } from '../probes/types.js'
import type { RetryRule } from '../remote/retry.js'
import type { BalanceStrategy, DependencyCondition, LogOptions, Manifest, Placement, Permissions, RestartPolicyName, ServiceSpec } from './types.js'

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

/** What a service watches (watch/): absolute paths, and patterns to ignore on top of the defaults. */
export interface ResolvedWatch {
  paths: string[]
  ignore: string[]
}

export interface ResolvedService {
  name: string
  /** `node`: a module run by the runner, with a typed API; `command`: any executable. */
  kind: 'node' | 'command'
  /** The module's file (a Node service); '' for a command service. */
  entry: string
  /** A command service's argv (a shell string runs as /bin/sh -c); null for a Node service. */
  command: string[] | null
  /** The command as people read it. */
  commandLine: string | null
  dependsOn: string[]
  /** What it waits for from each dependency (a one-shot's 'ready' is its 'completed'). */
  conditions: Record<string, DependencyCondition>
  /** Expected to exit: 0 is `completed`, anything else `failed`. */
  oneshot: boolean
  /** Node flags for a Node service's process. */
  nodeArgs: string[]
  /** Sent after the close message (Node) or first (command) to ask the process to stop. */
  stopSignal: NodeJS.Signals
  /** When it counts as ready, beyond its start (a Node service's start function, a command's exec). */
  ready: ResolvedProbe | null
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
  /** The directory the service process runs in: its `cwd`, else the project's (the manifest's directory). */
  cwd: string
  /** Restart it when these files change (its `watch` field); null: not set (`svc up --watch` watches its entry's
   * directory); false: never watched. */
  watch: ResolvedWatch | false | null
  /** How many processes run it (node/instance.ts). */
  instances: number
  balance: BalanceStrategy
  drainTimeoutMs: number
  limits: { memoryMb: number | null }
  /** Where its instances run in a cluster on NATS; null: not given ('any'). */
  placement: Placement | null
  /** Its own NATS user, for calls across hosts that skip the managers (cluster/service-nats.ts); null: relayed. */
  nats: ServiceNatsAccess | null
  /** Per dependency: how its calls are retried when their instance ended first (remote/retry.ts). */
  retry: Record<string, RetryRule>
  /** A TCP port the manager holds and every process of the service accepts on (fd 4, ctx.listen); null: none. */
  listen: ResolvedListen | null
}

/** What a service with its own NATS user is given: where and as whom to connect, and who may call it. */
export interface ServiceNatsAccess {
  url: string
  cluster: string
  /** The services whose calls it serves (each one's `calls` names it): checked on every call it receives. */
  callers: string[]
  /** Which instance, where: the subject it serves (set by the manager: cluster-mode.ts, instance-service.ts). */
  host?: string
  index?: number
}

export interface ResolvedManifest {
  services: ResolvedService[]
  graph: DependencyGraph
  stateDir: string
  cwd: string
  /** `cluster` from the manifest; every service also gets it as SVC_CLUSTER_NAME (and SVC_CLUSTER_REDIS). With `nats`,
   * the graph spreads over the hosts that run it (cluster/cluster-link.ts). */
  cluster: ResolvedCluster | null
  /** Services are forked by a spawner process (container/spawner.ts): as the manifest says, else by its size. */
  spawner: boolean
  /** Where to serve `/metrics`; null: not served (unless the manager's options say so). */
  metrics: { port: number; host: string } | null
}

const MANIFEST_FIELDS = ['services', 'stateDir', 'cluster', 'spawner', 'metrics']
const CLUSTER_FIELDS = ['redis', 'name', 'nats', 'natsCredentials']
const METRICS_FIELDS = ['port', 'host']

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
  const metrics = metricsOf(top, manifest.metrics)
  const names = Object.keys(manifest.services)
  const fields = Object.entries(manifest.services).map(([name, spec]) => readService(top.forService(name), spec, names))
  checkConditions(top, fields)
  if (!cluster?.nats) for (const f of fields) if (f.placement !== null) top.forService(f.name).fail('placement', 'needs cluster: { name, nats } (a graph across hosts); without it every service runs here')
  checkServiceNats(top, fields, cluster)
  if (problems.length > 0) throw manifestInvalid(problems)
  const graph = new DependencyGraph(fields.map((f) => [f.name, f.dependsOn]))
  const services = fields.map((f): ResolvedService => {
    const service = resolveFields(f, cwd, null, resolve)
    service.nats = natsAccessOf(f, fields, cluster)
    // Cluster membership reaches every service as environment (the scheduler joins the pool with it).
    if (cluster) service.env = { ...(cluster.redis && { SVC_CLUSTER_REDIS: cluster.redis }), SVC_CLUSTER_NAME: cluster.name, ...service.env }
    return service
  })
  const spawner = spawnerFlag ?? services.length > INLINE_UP_TO_SERVICES
  return { services, graph, stateDir: stateDir.startsWith('/') ? stateDir : `${cwd}/${stateDir}`, cwd, cluster, spawner, metrics }
}

function metricsOf(c: Checker, value: unknown): ResolvedManifest['metrics'] {
  const metrics = c.object(value, 'metrics', METRICS_FIELDS, '{ port: 9464 } or { port, host: "0.0.0.0" }')
  if (!metrics) return null
  if (metrics.port === undefined) c.fail('metrics.port', 'is missing: metrics needs { port } (0 takes any free port)')
  const port = c.count(metrics.port, 'metrics.port', 0, 0, 65_535)
  const host = c.text(metrics.host, 'metrics.host', 'a host name or address such as "127.0.0.1" or "0.0.0.0"') ?? DEFAULT_METRICS_HOST
  return { port, host }
}

export interface ResolvedCluster {
  name: string
  /** The node pool and the scheduler's cluster mode (Redis). */
  redis: string | null
  /** Services across hosts (NATS with JetStream); credentials in the URL or in `natsCredentials`. */
  nats: string | null
  /** A NATS credentials file (`nsc`'s .creds: a user JWT and its seed). */
  natsCredentials: string | null
}

function clusterOf(c: Checker, value: unknown): ResolvedManifest['cluster'] {
  const accepted = '{ name: "my-cluster", nats: "nats://host:4222" } and/or redis: "redis://host:port"'
  const cluster = c.object(value, 'cluster', CLUSTER_FIELDS, accepted)
  if (!cluster) return null
  const name = c.text(cluster.name, 'cluster.name', 'the name of the cluster (letters, digits, - and _)')
  const redis = c.text(cluster.redis, 'cluster.redis', 'a Redis URL such as "redis://host:port"') ?? null
  const nats = c.text(cluster.nats, 'cluster.nats', 'a NATS URL such as "nats://host:4222"') ?? null
  const natsCredentials = c.text(cluster.natsCredentials, 'cluster.natsCredentials', 'the path of a NATS .creds file') ?? null
  if (cluster.name === undefined) c.fail('cluster.name', `is missing: cluster needs ${accepted}`)
  if (cluster.redis === undefined && cluster.nats === undefined) c.fail('cluster', `needs nats (services across hosts) or redis (the node pool): ${accepted}`)
  if (nats !== null && !/^(nats|tls|wss?):\/\//.test(nats)) c.fail('cluster.nats', `must be a nats:// URL, got ${JSON.stringify(nats)}`)
  if (natsCredentials !== null && nats === null) c.fail('cluster.natsCredentials', 'needs cluster.nats')
  if (name !== undefined && nats !== null && !/^[A-Za-z0-9_-]+$/.test(name)) c.fail('cluster.name', `must use letters, digits, '-' and '_' with nats (it names NATS subjects), got ${JSON.stringify(name)}`)
  return name && (redis || nats) ? { name, redis, nats, natsCredentials } : null
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
  return resolveFields(fields, cwd, parent, resolve)
}

// On disk: the entry's file, the working directory, the env files (read now, so a missing one is a manifest error).
function resolveFields(f: ServiceFields, cwd: string, parent: string | null, resolve: EntryResolver): ResolvedService {
  const { cwd: ownCwd, envFiles, watch, ...rest } = f
  const env = { ...readEnvFiles(f.name, envFiles, cwd), ...f.env }
  const entry = f.kind === 'node' ? resolve(f.name, f.entry, cwd) : ''
  // Watched paths are relative to the manifest, as every other path in it; `true` is the entry's own directory.
  const watched = watch === false || watch === null ? watch : { paths: watch.paths?.map((p) => resolvePath(cwd, p)) ?? [dirname(entry)], ignore: watch.ignore }
  return { ...rest, entry, env, parent, cwd: ownCwd ? resolvePath(cwd, ownCwd) : cwd, watch: watched, nats: null }
}

// What one service waits for depends on the other: 'completed' only means something for a one-shot, and a
// one-shot's 'ready' is its completion (it is never "running").
function checkConditions(top: Checker, fields: ServiceFields[]): void {
  const byName = new Map(fields.map((f) => [f.name, f]))
  for (const f of fields) {
    for (const [dependency, condition] of Object.entries(f.conditions)) {
      const target = byName.get(dependency)
      if (!target) continue // the graph reports an unknown dependency with its own code
      if (condition === 'completed' && !target.oneshot) {
        top.forService(f.name).fail(`dependsOn.${dependency}`, `is 'completed', but "${dependency}" is not a one-shot: use 'ready' or 'started', or set oneshot: true on "${dependency}"`)
      }
      if (condition === 'ready' && target.oneshot) f.conditions[dependency] = 'completed'
    }
  }
}
