// What a ServicesManager can be told beyond its manifest.

import type { ContainerFactory } from '../container/service-container.js'

export interface ManagerOptions {
  /** Entries and the state directory are resolved against this. Default: process.cwd(). */
  cwd?: string
  /** How containers are made. Default: a child process per service. The run record and its watchdog (no orphans, see
   * docs/supervision.md) stay on for any factory, unless it declares `spawnsProcesses: false` (memoryContainers()
   * of @services-cluster/core/testing does). */
  containers?: ContainerFactory
  /** Default timeout of manager.call(). */
  callTimeoutMs?: number
  /** Boot every container of a start() at once, before dependencies run. Default true. */
  prewarm?: boolean
  /** Fork service processes from a spawner process, so that spawn() never blocks the manager's event loop (one
   * more Node process while services run; see docs/supervision.md). Default: the manifest's `spawner` (by default,
   * true for more than 16 services). */
  spawner?: boolean
  /** Replaces entry-file resolution (in-memory tests register modules by name). */
  resolveEntry?: (service: string, entry: string, cwd: string) => string
  /** Jitter source for restart backoff (tests make it deterministic). */
  random?: () => number
  /** CPU/RSS sampling interval. Default 1000 ms. */
  usageIntervalMs?: number
  /** Per service: calls to it are refused with SVC_ERR_OVERLOADED, and events to it dropped (and reported), while
   * this many bytes wait to be delivered to it (it is not reading its channel). Default 16 MiB (MAX_QUEUED_BYTES in
   * manager/router.ts). */
  maxQueuedBytes?: number
  /** How long an unfinished frame on a service's channel may go without another byte before the channel is closed as
   * broken (SVC_ERR_PROTOCOL in the exit report). Default 30 s (PARTIAL_FRAME_TIMEOUT_MS in container/process-container.ts). */
  partialFrameTimeoutMs?: number
  /** Watch every Node service's entry directory, as `svc up --watch` does (a service's own `watch` field wins). */
  watch?: boolean
  /** Quiet time after the last file change before watch mode restarts. Default 200 ms (WATCH_DEBOUNCE_MS). */
  watchDebounceMs?: number
  /** Metrics of the whole graph for Prometheus (docs/operations.md): `true` counts them for metrics(); `{ port, host? }`
   * also serves them at http://host:port/metrics from start() to close(). Default: the manifest's `metrics`, else off. */
  metrics?: boolean | { port: number; host?: string }
  /** In a cluster on NATS (the manifest's `cluster.nats`): the id this host goes by, as `svc up --host` gives it.
   * Default: SVC_HOST, else the machine's hostname up to its first '.'. */
  host?: string
  /** In a cluster on NATS: how long a silent host stays a member and an unrenewed lease lasts. Default 3000 ms. */
  clusterTtlMs?: number
}
