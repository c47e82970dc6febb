// The metrics of the whole graph, per service, in Prometheus's text format (prom-client's registry): what each one
// means is listed in docs/operations.md ("Metrics"), which is kept to this file. Figures are read from the manager
// when scraped; nothing here runs between scrapes but prom-client's default metrics of the manager's own process.

import { createRequire } from 'node:module'
import type { Registry } from 'prom-client'
import type { DisplayState, InstanceSnapshot, ServiceSnapshot } from '../protocol/snapshot.js'
import { CALL_BUCKETS_S, type CallMeter, type CallMeters } from '../manager/call-meters.js'
import type { HealthResults } from '../manager/health-monitor.js'
import type { OutputCounts } from '../manager/service-output.js'
import { family, histogramFamily, type Labels, type Sample } from './families.js'

export interface MetricsSource {
  services(): ServiceSnapshot[]
  cpuSeconds(service: string): number
  output(service: string): OutputCounts | null
  health(service: string): HealthResults | null
  calls: CallMeters
}

// Every display state gets a series (0 or 1) for every service, as kube-state-metrics does: a state a service leaves
// then reads 0 instead of going stale, and `svc_service_state{state="crashed"} == 1` alerts as it should.
const STATES = {
  starting: true,
  running: true,
  completed: true,
  closing: true,
  closed: true,
  crashed: true,
  restarting: true,
  failed: true,
  stopped: true,
  pending: true,
} as const satisfies Record<DisplayState, true>

type Prom = typeof import('prom-client')

// The manager's own process (CPU, memory, event-loop lag, GC, handles): prom-client's default metrics, under a prefix
// of their own. Once per process, shared by every manager in it: they describe the process, and their event-loop
// monitor and GC observer cannot be stopped once started — one per manager would pile up in a test suite.
let processRegistry: Registry | null = null
function processMetrics(prom: Prom): Registry {
  if (!processRegistry) {
    processRegistry = new prom.Registry()
    prom.collectDefaultMetrics({ register: processRegistry, prefix: 'svc_manager_' })
  }
  return processRegistry
}

export class GraphMetrics {
  readonly #registry: Registry
  /** One snapshot of the graph per scrape, shared by the families (they are read one after the other). */
  #services: ServiceSnapshot[] = []

  constructor(private readonly source: MetricsSource) {
    // Loaded only when metrics are on: prom-client costs ≈ 40 ms to import, which every `svc` would pay otherwise.
    // require (it is CommonJS), not import(): a dynamic import() fails under jest's default CommonJS mode.
    const prom = createRequire(import.meta.url)('prom-client') as Prom
    const graph = new prom.Registry()
    this.#serviceFamilies(graph)
    this.#instanceFamilies(graph)
    this.#outputAndHealthFamilies(graph)
    this.#callFamilies(graph)
    this.#registry = prom.Registry.merge([graph, processMetrics(prom)])
  }

  get contentType(): string {
    return this.#registry.contentType
  }

  async text(): Promise<string> {
    this.#services = this.source.services()
    return this.#registry.metrics()
  }

  /** `value` of each service, labelled by `labels` (its name unless told); a service whose value is null is left out. */
  #each(value: (s: ServiceSnapshot) => number | null, labels = (s: ServiceSnapshot): Labels => ({ service: s.name })): () => Sample[] {
    return () =>
      this.#services.flatMap((s) => {
        const v = value(s)
        return v === null ? [] : [{ labels: labels(s), value: v }]
      })
  }

  #serviceFamilies(r: Registry): void {
    family(r, 'svc_service_state', 'The service is in this state (1) or not (0); a closed one is explained (crashed, restarting, failed, stopped, pending).', 'gauge', () =>
      this.#services.flatMap((s) => Object.keys(STATES).map((state) => ({ labels: { service: s.name, state }, value: s.display === state ? 1 : 0 }))),
    )
    family(r, 'svc_service_restarts_total', 'Restarts by the supervisor after a crash.', 'counter', this.#each((s) => s.restarts))
    const uptime = (s: ServiceSnapshot) => (s.startedAt === null || s.state !== 'running' ? 0 : (Date.now() - s.startedAt) / 1000)
    family(r, 'svc_service_uptime_seconds', 'Seconds since the service last became running; 0 when it is not running.', 'gauge', this.#each(uptime))
    const exitLabels = (s: ServiceSnapshot) => ({ service: s.name, reason: s.lastExit!.reason, code: s.lastExit!.code ?? '', signal: s.lastExit!.signal ?? '' })
    family(r, 'svc_service_last_exit_info', 'How the service last exited: reason, exit code and signal as labels.', 'gauge', this.#each((s) => (s.lastExit ? 1 : null), exitLabels))
    family(r, 'svc_service_last_exit_timestamp_seconds', 'When the service last exited (Unix time).', 'gauge', this.#each((s) => (s.lastExit ? s.lastExit.at / 1000 : null)))
    const tree = "the service's whole process tree and its child services"
    family(r, 'svc_service_cpu_seconds_total', `CPU time (user + system) of ${tree}, across restarts; sampled every usage interval.`, 'counter', this.#each((s) => this.source.cpuSeconds(s.name)))
    family(r, 'svc_service_memory_rss_bytes', `Resident memory of ${tree} at the last sample; absent while closed.`, 'gauge', this.#each((s) => s.usage?.rss ?? null))
  }

  // Per process of a service (`instance="api#0"`): a service of one instance has one series each too, so a query
  // need not know how many a service runs.
  #instanceFamilies(r: Registry): void {
    family(r, 'svc_service_instances', 'Instances of the service that are running (a draining one no longer counts).', 'gauge', this.#each((s) => s.instances.filter((i) => i.state === 'running').length))
    family(r, 'svc_service_desired_instances', 'Instances the service is meant to run (`instances` in the manifest, or `svc scale`).', 'gauge', this.#each((s) => s.desiredInstances))
    const perInstance = (value: (i: InstanceSnapshot) => number | null) => () =>
      this.#services.flatMap((s) =>
        s.instances.flatMap((i) => {
          const v = value(i)
          return v === null ? [] : [{ labels: { service: s.name, instance: i.id }, value: v }]
        }),
      )
    family(r, 'svc_instance_up', 'The instance is running (1) or not (0: starting, draining, closing, closed).', 'gauge', perInstance((i) => (i.state === 'running' ? 1 : 0)))
    family(r, 'svc_instance_inflight_calls', 'Calls sent to the instance and not answered yet.', 'gauge', perInstance((i) => i.inFlight))
    family(r, 'svc_instance_restarts_total', 'Restarts of this instance by the supervisor after its crash.', 'counter', perInstance((i) => i.restarts))
    family(r, 'svc_instance_memory_rss_bytes', 'Resident memory of the instance\'s process tree at the last sample; absent before one.', 'gauge', perInstance((i) => i.usage?.rss ?? null))
  }

  #outputAndHealthFamilies(r: Registry): void {
    family(r, 'svc_log_lines_total', 'Lines of output recorded (after the rate limit), by stream.', 'counter', () =>
      this.#services.flatMap((s) => {
        const counts = this.source.output(s.name)
        return counts ? (['stdout', 'stderr'] as const).map((stream) => ({ labels: { service: s.name, stream }, value: counts[stream] })) : []
      }),
    )
    family(r, 'svc_log_lines_dropped_total', 'Lines of output dropped by the rate limit.', 'counter', this.#each((s) => this.source.output(s.name)?.dropped ?? null))
    family(r, 'svc_health_checks_total', 'Health checks run, by result (passed, failed).', 'counter', () =>
      this.#services.flatMap((s) => {
        const h = this.source.health(s.name)
        if (!h) return []
        return [{ labels: { service: s.name, result: 'passed' }, value: h.passed }, { labels: { service: s.name, result: 'failed' }, value: h.failed }]
      }),
    )
    const healthy = (s: ServiceSnapshot) => {
      const h = this.source.health(s.name)
      return h && h.passed + h.failed > 0 ? Number(h.healthy) : null
    }
    family(r, 'svc_service_healthy', 'The last health check passed (1) or failed (0); absent before the first.', 'gauge', this.#each(healthy))
  }

  #callFamilies(r: Registry): void {
    const meters = () => [...this.source.calls.meters()]
    const labels = (m: CallMeter): Labels => ({ caller: m.caller, target: m.target, method: m.method })
    family(r, 'svc_calls_total', 'Calls relayed by the manager that ended (answered, refused, failed or timed out). Direct calls are not seen.', 'counter', () =>
      meters().map((m) => ({ labels: labels(m), value: m.calls })),
    )
    family(r, 'svc_call_errors_total', 'Of those, the calls that ended in an error.', 'counter', () => meters().map((m) => ({ labels: labels(m), value: m.errors })))
    histogramFamily(r, 'svc_call_duration_seconds', 'Latency of the calls their target answered, from relaying the request to receiving the answer.', CALL_BUCKETS_S, () =>
      meters()
        .filter((m) => m.count > 0)
        .map((m) => ({ labels: labels(m), buckets: m.buckets, sum: m.sum, count: m.count })),
    )
  }
}
