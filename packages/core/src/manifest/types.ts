// The manifest users write in svc.config.ts: `defineServices({ services: { ... } })`.

export interface Permissions {
  /** Absolute paths the service may read / write (Node permission model). Omit a rule to leave it unrestricted. */
  fs?: { read?: string[]; write?: string[] }
  /** May spawn child processes (never combine with a sandbox: grandchildren escape Node's permission model). */
  childProcess?: boolean
  /** May start worker threads. */
  worker?: boolean
  /** `false` cuts the network (Linux network namespace). IPC with the manager survives. */
  network?: boolean
  /** Services it may call and subscribe to. Defaults to `dependsOn`. */
  calls?: string[]
  /** May create child services with `ctx.spawnChild`. */
  childServices?: boolean
}

export interface BackoffOptions {
  initialMs?: number
  maxMs?: number
  factor?: number
  /** 0..1: the share of each delay that is randomised. */
  jitter?: number
}

export type RestartPolicyName = 'never' | 'on-failure' | 'always'

export interface RestartOptions {
  policy?: RestartPolicyName
  backoff?: BackoffOptions
  /** At most this many restarts within `windowMs`; one more and the service is `failed`. */
  maxRestarts?: number
  windowMs?: number
  /**
   * Keep one booted, idle process ready for the next start (default false): a crash, restart or cascade then
   * costs no process start. Doubles this service's processes and their idle memory.
   */
  warmSpare?: boolean
}

export interface HealthCheck {
  /** A method the service exposes, called through the manager; healthy when it resolves. */
  method?: string
  /** An http(s) URL the manager GETs; healthy on a 2xx answer. */
  url?: string
  /** A port (on 127.0.0.1) or `'host:port'` the manager connects to; healthy when the connection is accepted. */
  tcp?: number | string
  /** A program and its arguments, run without a shell in the service's `cwd` and `env`; healthy when it exits 0. */
  exec?: string[]
  intervalMs?: number
  timeoutMs?: number
  /** Consecutive failures before the service is treated as crashed. */
  failureThreshold?: number
}

/** When a probe is tried: ready probes only (a health check has its own `intervalMs` and `timeoutMs`). */
export interface ProbeTiming {
  /** Between the starts of two attempts (default 250). Attempts never overlap. */
  intervalMs?: number
  /** One attempt that takes longer fails (default 2000); an exec probe is killed then. */
  timeoutMs?: number
  /** Wait this long after the start before the first attempt (default 0): never ready sooner. */
  startGraceMs?: number
}

/**
 * When a service counts as ready, so that its dependents may start: exactly one of
 * - `http`: a URL that answers a GET with 2xx;
 * - `tcp`: a port on 127.0.0.1, or `'host:port'`, that accepts a connection;
 * - `exec`: a program and its arguments (no shell) that exits 0, run in the service's `cwd` and `env`;
 * - `log`: a regular expression that a line of the service's output matches (no `intervalMs` / `timeoutMs`: every
 *   line is matched as it comes).
 */
export type ReadyProbe =
  | ({ http: string; tcp?: never; exec?: never; log?: never } & ProbeTiming)
  | ({ tcp: number | string; http?: never; exec?: never; log?: never } & ProbeTiming)
  | ({ exec: string[]; http?: never; tcp?: never; log?: never } & ProbeTiming)
  | { log: string; http?: never; tcp?: never; exec?: never; startGraceMs?: number }

export interface LogOptions {
  /** Lines kept in memory per service. Default 1000. */
  bufferLines?: number
  /** Also append lines to this file (relative to the project), rotated at `maxBytes`. */
  file?: string
  maxBytes?: number
  maxFiles?: number
}

/** Restart a service when files change. */
export interface WatchOptions {
  /** Files or directories (watched recursively), relative to the manifest. Default: a Node service's entry
   * directory; a command service must name them. */
  paths?: string[]
  /** Patterns to ignore besides node_modules, .git, .svc and the state directory: a pattern without "/" matches any
   * path segment (`*.log`, `tmp`); one with "/" matches the path from the manifest's directory (`data/**`). */
  ignore?: string[]
}

/** What a dependent waits for: the dependency's process exists (`started`), it is ready (`ready`: its start function
 * resolved and its `ready` probe passed), or — for a one-shot — it exited 0 (`completed`). */
export type DependencyCondition = 'started' | 'ready' | 'completed'

interface CommonSpec<Config> {
  /** Every entry means `'ready'`; the object form names a condition per dependency. */
  dependsOn?: string[] | Record<string, DependencyCondition>
  config?: Config
  env?: Record<string, string>
  /** dotenv files (relative to the manifest) read into the environment; later files win, and `env` wins over them. */
  envFile?: string | string[]
  /** The directory the process runs in, relative to the manifest. Default: the manifest's directory. */
  cwd?: string
  /** The signal that asks the process to stop, after the close message of a Node service (default SIGTERM). */
  stopSignal?: NodeJS.Signals
  /** When the service counts as ready (default: a Node service's start function resolved; a command: spawned). */
  ready?: ReadyProbe
  /** The process is expected to exit: exit 0 is `completed`, anything else `failed`. Never restarted. */
  oneshot?: boolean
  permissions?: Permissions
  restart?: RestartOptions | RestartPolicyName
  /** When it fails for good, the whole manager closes in reverse order and exits non-zero. */
  critical?: boolean
  /**
   * Serve calls from the services allowed to call this one over a direct Unix socket: the manager checks access
   * and hands out the socket, then steps out of the path (default false: every call is relayed by the manager).
   */
  direct?: boolean
  startTimeoutMs?: number
  /** Grace after the close message before SIGTERM. */
  stopTimeoutMs?: number
  /** Grace after SIGTERM before SIGKILL. */
  killTimeoutMs?: number
  health?: HealthCheck
  logs?: LogOptions
  /** Reload a running Node service when its files change (no downtime: dependents keep running); a command service,
   * one not running, or one whose replacement cannot start beside it is restarted with its dependents. `true`: a Node
   * service's entry directory; `false`: never, not even under `svc up --watch`. */
  watch?: boolean | WatchOptions
  /** How many processes run the service (default 1). Calls are balanced over the running ones; one that crashes while
   * others serve is restarted alone, and its dependents never notice. Each gets SVC_INSTANCE (0, 1 …) in its
   * environment. */
  instances?: number
  /** Default 'least-inflight'. */
  balance?: BalanceStrategy
  /** In a cluster on NATS (`cluster.nats`): where its instances run. Default 'any'. */
  placement?: Placement
  /**
   * In a cluster on NATS: the service's own NATS user ('nats://svc-checker:password@host:4222'), never the hosts'.
   * With it, its calls to a `direct: true` service on another host go straight over NATS (and, `direct: true`
   * itself, it serves such calls), skipping both managers; NATS permissions tie it to this service (docs/cluster.md).
   */
  nats?: string
  /** How long an instance being replaced (reload) or scaled away may take to finish its calls (default 10 000). */
  drainTimeoutMs?: number
  /**
   * Retry calls to these dependencies when the instance a call went to ended before answering (or none ran at that
   * moment): `{ checker: 2 }` (two more attempts, any method) or `{ checker: { attempts: 2, methods: ['getNodes'] } }`.
   * Only for idempotent methods: a call that failed this way may have done its work. Off by default; a call's own
   * `retry` option wins.
   */
  retry?: Record<string, number | { attempts: number; methods?: string[] }>
  limits?: {
    /** An instance whose whole process tree's RSS stays above this many MiB (two samples running) is replaced by a
     * reload, without downtime (PM2's max_memory_restart). */
    memoryMb?: number
  }
  /**
   * A TCP port the manager opens and holds for this service, shared by every process of it: each gets the listening
   * socket as fd 4 (SVC_LISTEN_FD) and serves it with `ctx.listen(server)`. It stays open while a process is
   * replaced, so connections wait in the kernel's backlog instead of being refused. A number is the port (host
   * 0.0.0.0); 0 takes any free port, kept across restarts. Linux only.
   */
  listen?: number | ListenOptions
}

export interface ListenOptions {
  /** 0–65535; 0 takes any free port (`manager.service(name).listen` says which). */
  port: number
  /** An IPv4 or IPv6 address (not a host name). Default 0.0.0.0; '::' takes IPv6 and IPv4. */
  host?: string
}

/** How calls are spread over a service's running instances: to the one with the fewest calls in flight (ties in
 * turn), or to each in turn. */
export type BalanceStrategy = 'least-inflight' | 'round-robin'

/** A Node.js service: a module whose default export is `defineService(...)`. */
export interface NodeServiceSpec<Config = unknown> extends CommonSpec<Config> {
  /** A module path (relative to the manifest) or a package name whose default export is `defineService(...)`. */
  entry: string
  command?: never
  /** Node.js flags for this service's process, e.g. ['--max-old-space-size=512']. Flags that would lift its
   * permissions are refused. */
  nodeArgs?: string[]
}

/** Any executable: an argv array (no shell), or a string run by /bin/sh. It has no typed API. */
export interface CommandServiceSpec<Config = unknown> extends CommonSpec<Config> {
  command: string | string[]
  entry?: never
  nodeArgs?: never
}

export type ServiceSpec<Config = unknown> = NodeServiceSpec<Config> | CommandServiceSpec<Config>

export interface ClusterOptions {
  /** Names the cluster: its NATS subjects and buckets, and the node pool's keys. */
  name: string
  /** The node pool and the scheduler's cluster mode. */
  redis?: string
  /** Runs the graph across hosts (docs/cluster.md): 'nats://host:4222', credentials in the URL if needed. Each host
   * runs the same manifest with `svc up --host <id>`. */
  nats?: string
  /** A NATS credentials file (a user JWT and seed, as `nsc` writes them), instead of credentials in the URL. */
  natsCredentials?: string
}

/** Where a service's instances run in a cluster on NATS: one host at a time, failing over ('any', the default);
 * one instance on every host ('every'); or spread over the listed hosts. */
export type Placement = 'any' | 'every' | { hosts: string[] }

/** Where the manager serves `/metrics` for Prometheus (docs/operations.md, "Metrics"). */
export interface MetricsOptions {
  /** 1–65535; 0 takes any free port (the manager's `metricsUrl` says which). */
  port: number
  /** Default 127.0.0.1; '0.0.0.0' or '::' to be scraped from other hosts. */
  host?: string
}

export interface Manifest {
  services: Record<string, ServiceSpec>
  /** Where the manager keeps its state (control socket, run records). Default `.svc` beside the manifest. */
  stateDir?: string
  cluster?: ClusterOptions
  /**
   * Fork service processes from a spawner process, so that forking never blocks the manager's event loop. `false`
   * forks them in the manager, one per turn of its event loop: a small graph starts faster that way. Default: a
   * spawner when the manifest has more than 16 services.
   */
  spawner?: boolean
  /** Serve the graph's metrics at http://host:port/metrics while the manager runs (`svc up --metrics` overrides it). */
  metrics?: MetricsOptions
}

/** Identity function that gives the manifest its types and editor completion. */
export function defineServices<const M extends Manifest>(manifest: M): M {
  return manifest
}
