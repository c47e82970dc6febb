// The host-side entry point: builds the graph, creates a node + container per service, starts in
// dependency order, closes in reverse, routes calls and events, and hands crashes to the supervisor.

import { EventEmitter } from 'eventemitter3'
import { availableParallelism } from 'node:os'
import { isAbsolute, resolve } from 'node:path'
import { launchInlineInTurns, type Launch } from '../container/launch.js'
import { Spawner } from '../container/spawner.js'
import { svcError } from '../errors.js'
import { normalizeManifest, type ResolvedManifest, type ResolvedService } from '../manifest/normalize.js'
import type { Manifest } from '../manifest/types.js'
import { ServiceNode } from '../node/service-node.js'
import type { ServiceSnapshot, ServiceState, UsageSample } from '../protocol/snapshot.js'
import { privateDir } from '../supervision/private-dir.js'
import { RunRecord } from '../supervision/run-record.js'
import type { Supervisor } from '../supervision/supervisor.js'
import { WatchRestarts } from '../watch/watch-restarts.js'
import { watchedServices } from '../watch/watched-services.js'
import { afterChange } from '../watch/after-change.js'
import { carryOut } from './apply.js'
import { planApply, type ApplyPlan } from './apply-plan.js'
import { createChildService, finishedChildren } from './child-services.js'
import { createSupervisor } from './recovery.js'
import { defaultContainers } from './default-containers.js'
import { ListenSockets } from './listen-sockets.js'
import { ClusterMode, type FollowedLogs } from './cluster-mode.js'
import { openRun, reportPermissions } from './first-start.js'
import { displayState } from './display-state.js'
import { snapshotOf } from './snapshot.js'
import { deniedLine, droppedLine } from './log-notes.js'
import { EventBus } from './event-bus.js'
import { EventFanout, type EventDrop } from './event-fanout.js'
import type { ManagerEvents, StateChange } from './events.js'
import { FaultInjection } from './fault-injection.js'
import { HealthMonitor } from './health-monitor.js'
import { limitConcurrency } from './limit.js'
import { MemoryLimits } from './memory-limits.js'
import { InstanceCare } from './instance-care.js'
import { ManagerMethods, type Denial } from './manager-methods.js'
import { createMetrics, metricsOff, type ManagerMetrics } from '../metrics/manager-metrics.js'
import { mergeByTime, type LogLine } from './log-buffer.js'
import { Router } from './router.js'
import { ServiceOutput } from './service-output.js'
import { exitOf, settled, within } from './settle.js'
import { pidsByService, UsageSampler } from './usage-sampler.js'
import { waitForState } from './wait-for.js'
import { instanceOf } from './instance-service.js'
import { wireContainer } from './wire-container.js'
import type { ManagerOptions } from './options.js'

export type { ManagerOptions } from './options.js'

const TIMELINE_LIMIT = 10_000

export class ServicesManager extends EventEmitter<ManagerEvents> {
  readonly manifest: ResolvedManifest
  /** Fault injection for users' own tests: pause, resume, cut a channel, delay a start. */
  readonly faults: FaultInjection
  readonly #nodes = new Map<string, ServiceNode>()
  readonly #output = new Map<string, ServiceOutput>()
  readonly #timeline: StateChange[] = []
  readonly #router: Router
  /** `$manager`'s methods, and who may use whom. */
  readonly #methods = new ManagerMethods({
    find: (name) => this.#nodes.get(name),
    node: (name) => this.#node(name),
    services: () => this.services(),
    spawnChild: (parent, args) => this.#spawnChild(parent, args),
    denied: (denial) => this.#denied(denial),
  })
  readonly #bus = new EventBus()
  readonly #fanout: EventFanout
  readonly #supervisor: Supervisor
  readonly #usage: UsageSampler
  readonly #health: HealthMonitor
  readonly #care: InstanceCare
  readonly #metrics: ManagerMetrics | null
  readonly #options: ManagerOptions
  // One boot per core, plus one so that no core idles while a boot waits on the disk. More than that only queues
  // in the kernel: on 2 cores, 4 concurrent boots made the manager wait ≈ 26 ms for a core at the worst moment of a
  // 50-service start-up (median over trials), 3 boots ≈ 20 ms, with the same total time.
  readonly #boots = limitConcurrency(availableParallelism() + 1)
  /** Pids and process groups of this run, on disk and with the watchdog; null only for containers that spawn nothing. */
  readonly #run: RunRecord | null
  readonly #spawner: Spawner | null
  /** How service processes are created: through the spawner, or here, one fork per turn of the event loop. */
  readonly #launch: Launch
  readonly #watch: WatchRestarts
  /** The ports of services with `listen`, held across their restarts (manager/listen-sockets.ts). */
  readonly #listenSockets = new ListenSockets()
  /** Its part of a graph across hosts (the manifest's `cluster.nats`); null on a host alone. */
  readonly #cluster: ClusterMode | null
  /** Applies and watch restarts never overlap: each starts from the graph the one before left. */
  #changes: Promise<unknown> = Promise.resolve()
  #runOpened = false
  readonly #notice = (service: string, message: string): void => void this.emit('notice', { service, message, at: Date.now() })
  #permissionsReported = false
  #closing = false
  #closedAll: Promise<void> | null = null // the full close: asked again (a signal, then `svc down`), the same one
  #fatal: Error | null = null

  constructor(manifest: Manifest, options: ManagerOptions = {}) {
    super()
    this.#options = options
    // Everything is validated here, before a single process exists.
    this.manifest = normalizeManifest(manifest, options.cwd ?? process.cwd(), options.resolveEntry)
    // Containers that may spawn a process get the run record and the watchdog, custom ones too; only a factory that
    // declares it spawns none goes without, and then the manager writes nothing to disk. Never decided by absence.
    const run = (this.#run = options.containers?.spawnsProcesses === false ? null : new RunRecord(this.manifest.stateDir))
    if (run) for (const s of this.manifest.services) s.env = { ...s.env, SVC_RUN: run.runId }
    // The spawner only serves the default containers: a custom factory makes its processes its own way.
    this.#spawner = run && !options.containers && (options.spawner ?? this.manifest.spawner) ? new Spawner((pid) => run.add(pid), (pid) => run.remove(pid)) : null
    const spawner = this.#spawner
    this.#launch = spawner ? (file, args, launchOptions) => spawner.launch(file, args, launchOptions) : launchInlineInTurns()
    // The options' `metrics` wins over the manifest's: `svc up --metrics` passes it, and `false` turns them off.
    this.#metrics = createMetrics(options.metrics ?? this.manifest.metrics, {
      services: () => this.services(),
      cpuSeconds: (name) => this.#usage.cpuSeconds(name),
      output: (name) => this.#output.get(name)?.counts ?? null,
      health: (name) => this.#health.results(name),
    })
    this.#router = new Router({
      target: (name) => this.#nodes.get(name),
      mayCall: (from, to, method) => this.#methods.mayUse(from, to, `call ${method}`),
      manager: (from, method, args) => this.#methods.call(from, method, args),
    }, options.maxQueuedBytes, this.#metrics?.calls)
    const down = (host: string) => void (this.emit('clusterDown', { host, at: Date.now() }), this.close())
    this.#cluster = ClusterMode.of(this.manifest, options, { router: this.#router, bus: this.#bus, fanout: () => this.#fanout, notice: this.#notice, logs: (s, n) => this.logs(s, n), onLog: (l) => this.on('log', l), node: (n) => this.#node(n), down })
    this.#fanout = new EventFanout({
      subscribersOf: (source, event) => this.#bus.subscribersOf(source, event),
      target: (name) => {
        const target = this.#nodes.get(name)
        return target?.state === 'running' || target?.state === 'starting' ? target.eventTarget() : null
      },
      dropped: (drop) => this.#eventsDropped(drop),
      across: (source, message) => this.#cluster?.emit(source, message) ?? false,
    }, options.maxQueuedBytes)
    this.#supervisor = createSupervisor({
      closing: () => this.#closing,
      node: (name) => this.#node(name),
      graph: () => this.manifest.graph,
      events: this,
      prewarm: options.prewarm !== false,
      random: options.random ?? Math.random,
      fail: (node, why) => void this.#fail(node, why),
    })
    this.#care = new InstanceCare({
      node: (name) => this.#node(name),
      find: (name) => this.#nodes.get(name),
      health: () => this.#health,
      router: this.#router,
      events: this,
      closing: () => this.#closing,
    })
    const memoryLimits = new MemoryLimits({
      limitMb: (id) => this.#care.memoryLimitMb(id),
      replace: (id, rss, limitMb) => this.#care.overLimit(id, rss, limitMb),
    })
    this.#usage = new UsageSampler(
      { pids: () => pidsByService(this.#nodes) },
      // Keys with a '#' are single instances (pidsByService): for their limits, not for the `usage` event.
      (key, sample) => (key.includes('#') ? memoryLimits.sample(key, sample) : this.emit('usage', { service: key, ...sample })),
      options.usageIntervalMs,
    )
    this.#health = new HealthMonitor(this.#care.healthHost)
    this.faults = new FaultInjection({ node: (name) => this.#node(name), instances: (target) => this.#care.resolve(target) })
    this.#watch = new WatchRestarts({
      watched: () => watchedServices([...this.#nodes.values()].map((n) => n.service), options.watch === true),
      // Not one stopped by hand, never started, waiting for its dependencies, or removed by apply() meanwhile.
      restartable: (name) => {
        const node = this.#nodes.get(name)
        return node !== undefined && ['running', 'starting', 'crashed', 'restarting', 'failed'].includes(displayState(node))
      },
      runningDependents: (names) => [...this.manifest.graph.transitiveDependents(names)].filter((n) => this.#node(n).state !== 'closed'),
      restart: (names, andStart) =>
        this.#serially(() =>
          afterChange({
            inStartOrder: (names) => this.manifest.graph.startOrder(names),
            node: (name) => this.#node(name),
            restart: (names) => this.restart(names),
            start: (names) => this.start(names),
            notice: (service, message) => this.emit('notice', { service, message, at: Date.now() }),
          }, names, andStart),
        ),
      changed: (services, files) => this.emit('filesChanged', { services, files, at: Date.now() }),
      notice: (service, message) => this.emit('notice', { service, message, at: Date.now() }),
    }, { base: this.manifest.cwd, stateDir: this.manifest.stateDir, debounceMs: options.watchDebounceMs })
    for (const service of this.manifest.services) this.#add(service)
  }

  get closing(): boolean {
    return this.#closing
  }

  /** In a cluster on NATS, the id this host goes by (ManagerOptions.host); null on a host alone. */
  get host(): string | null {
    return this.#cluster?.host ?? null
  }

  /** Set when a critical service failed and the manager closed everything. */
  get fatalError(): Error | null {
    return this.#fatal
  }

  /** Starts the named services (default: all) and their dependencies; resolves when all of them run. */
  async start(names?: string[]): Promise<void> {
    if (this.#closing) throw svcError('SVC_ERR_MANAGER_CLOSED', 'The manager is closed. Create a new ServicesManager to start again.')
    const wanted = this.manifest.graph.withDependencies(this.#known(names ?? this.manifest.graph.names))
    let nodes = this.manifest.graph.startOrder(wanted).map((n) => this.#node(n))
    if (!this.#permissionsReported) reportPermissions(this.#nodes.values(), this.#options.containers !== undefined, this.#notice)
    this.#permissionsReported = true
    if (this.#run && !this.#runOpened) openRun(this.#run, this.manifest.stateDir, this.#notice)
    this.#runOpened = true
    for (const node of nodes) {
      node.stopped = false
      if (node.failed) this.resetFailed(node.name)
    }
    if (this.#metrics) {
      const metricsUrl = await this.#metrics.serve()
      if (metricsUrl) this.emit('metrics', { url: metricsUrl, at: Date.now() })
      // A close asked for while the port opened came after this start: it wins.
      nodes = nodes.filter((node) => !node.stopped)
    }
    if (this.#cluster) {
      await this.#cluster.open()
      nodes = nodes.filter((node) => !node.stopped) // as above, while it joined the cluster
    }
    this.#usage.start()
    if (!this.#watch.active) this.#watch.start()
    if (this.#options.prewarm !== false) {
      for (const node of nodes) if (node.state === 'closed') void node.prepare().catch(() => {})
    }
    const results = await Promise.allSettled(nodes.map((node) => node.start()))
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (this.#fatal) throw this.#fatal
    if (failure) {
      const critical = nodes.find((n) => n.service.critical && n.state !== 'running' && n.state !== 'completed')
      if (critical) await this.#fail(critical, (failure.reason as Error).message)
      throw failure.reason
    }
  }

  /** Clears a service's `failed` state and restart history (`systemctl reset-failed`): its next crash counts from zero. */
  resetFailed(name: string): void {
    this.#node(name).failed = false
    this.#supervisor.forget(name)
  }

  /** Closes the named services (default: all), dependents first. A closed service is not restarted. In a cluster
   * on NATS, this host's part; `{ cluster: true }`: every host's, in reverse dependency order across hosts. */
  async close(names?: string[], options?: { cluster?: boolean }): Promise<void> {
    if (options?.cluster && !names) await this.#cluster?.downAll()
    return names ? this.#close(names, false) : (this.#closedAll ??= this.#close(undefined, false))
  }

  async #close(names: string[] | undefined, keepSpares: boolean): Promise<void> {
    if (!names) {
      this.#closing = true
      this.#watch.stop()
      this.#supervisor.cancel()
      this.#health.stop()
      await this.#cluster?.drain() // this host alone (not the whole cluster): its slots move to the others
      // Dependents are asked first so each close carries the real reason; the nodes enforce the order anyway.
      const order = this.manifest.graph.startOrder().reverse().map((n) => this.#node(n))
      await Promise.all(order.map((node) => node.close('manager closing')))
      await Promise.all(order.map((node) => node.dispose()))
      await this.#cluster?.close()
      await this.#spawner?.close()
      await this.#listenSockets.closeAll()
      this.#fanout.forgetAll()
      this.#usage.stop()
      await this.#run?.close()
      await Promise.all([...this.#output.values()].map((output) => output.close()))
      await this.#metrics?.close()
      this.#runOpened = false
      return
    }
    const targets = this.#known(names)
    const stoppedNodes = [...targets, ...this.manifest.graph.transitiveDependents(targets)].map((n) => this.#node(n))
    for (const node of stoppedNodes) {
      node.stopped = true
      this.#supervisor.cancel(node.name)
    }
    await Promise.all(targets.map((n) => this.#node(n).close('stopped')))
    // Nodes, not names: a child service leaves the graph once closed.
    if (!keepSpares) await Promise.all(stoppedNodes.map((node) => node.dispose()))
  }

  /** Closes the service(s) and their dependents, then starts them again in dependency order. */
  async restart(names: string | string[]): Promise<void> {
    const targets = this.#known(typeof names === 'string' ? [names] : names)
    const dependents = [...this.manifest.graph.transitiveDependents(targets)].filter((n) => this.#node(n).state !== 'closed')
    await this.#close(targets, true) // warm spares are what makes this restart cheap
    await this.start([...targets, ...dependents])
  }

  /**
   * Replaces every instance of the named services (default: every running service, in dependency order) one at a time
   * without downtime: a replacement starts, takes the new calls once it runs, and the old instance finishes its calls
   * (at most drainTimeoutMs) before it closes. Dependents stay running and see no error. A replacement that fails to
   * start stops the reload with SVC_ERR_RELOAD_FAILED; the instance it was to replace keeps serving. In a cluster on
   * NATS, each host that runs the service replaces its own instances, one host after the other (this one first). */
  async reload(names?: string | string[]): Promise<void> {
    if (this.#closing) throw svcError('SVC_ERR_MANAGER_CLOSED', 'The manager is closed: there is nothing to reload.')
    const wanted = names === undefined ? this.manifest.graph.names.filter((n) => this.#node(n).state === 'running') : this.#known(typeof names === 'string' ? [names] : names)
    for (const name of this.manifest.graph.startOrder(wanted)) await (this.#cluster?.reload(name, () => this.#node(name).reload()) ?? this.#node(name).reload())
  }

  /** Sets how many instances `name` runs (PM2's `scale`): new ones start (resolves once they run), surplus ones finish
   * their calls and close, highest-numbered first. A service that does not run gets the count at its next start. In a
   * cluster on NATS, on every host at once. */
  scale(name: string, instances: number): Promise<void> {
    return this.#cluster?.scale(name, instances, () => this.#node(name).scale(instances)) ?? this.#node(name).scale(instances)
  }

  /** What apply(manifest) would do, without doing it. Throws what the constructor would for a bad manifest
   * (SVC_ERR_MANIFEST_INVALID with every problem…), and SVC_ERR_REMOVED_DEPENDENCY for a removed service whose
   * dependents stay. */
  plan(manifest: Manifest): ApplyPlan {
    return this.#plan(manifest).plan
  }

  /** Changes the running graph to the new manifest: added services start, removed ones close (dependents first),
   * changed ones and their running dependents restart; every other service keeps its process. Resolves with the plan
   * carried out; a refused manifest changes nothing. */
  apply(manifest: Manifest): Promise<ApplyPlan> {
    return this.#serially(async () => {
      if (this.#closing) throw svcError('SVC_ERR_MANAGER_CLOSED', 'The manager is closed: there is no running graph to apply a manifest to.')
      const { plan, next } = this.#plan(manifest)
      await carryOut(plan, next, {
        active: (name) => this.#node(name).state !== 'closed',
        close: (names) => this.#close(names, false),
        start: (names) => this.start(names),
        drop: (name) => this.#drop(name),
        put: (name, resolved) => this.#put(name, resolved),
      })
      if (this.#watch.active) this.#watch.start() // what is watched may have changed
      return plan
    })
  }

  #serially<T>(change: () => Promise<T>): Promise<T> {
    const run = this.#changes.then(change)
    this.#changes = run.catch(() => {})
    return run
  }

  #plan(manifest: Manifest): ReturnType<typeof planApply> {
    return planApply(manifest, {
      current: this.manifest,
      active: (name) => this.#node(name).state !== 'closed',
      cwd: this.manifest.cwd,
      resolveEntry: this.#options.resolveEntry,
      env: this.#run ? { SVC_RUN: this.#run.runId } : {},
    })
  }

  state(name: string): ServiceState {
    return this.#node(name).state
  }

  call(service: string, method: string, ...args: unknown[]): Promise<unknown> {
    return this.#router.call(service, method, args, this.#options.callTimeoutMs ?? 30_000)
  }

  services(): ServiceSnapshot[] {
    return this.manifest.graph.names.map((n) => this.service(n))
  }

  service(name: string): ServiceSnapshot {
    const node = this.#node(name)
    const down = node.state === 'closed' || node.state === 'completed'
    return snapshotOf(node, down ? null : this.#usage.latest(name), this.#router.stats(name), (id) => this.#usage.latest(id))
  }

  /** The graph's metrics in Prometheus's text format (docs/operations.md lists them), to serve or inspect yourself.
   * Rejects with SVC_ERR_METRICS_OFF unless metrics are on (the `metrics` option or the manifest's). */
  metrics(): Promise<string> {
    return this.#metrics ? this.#metrics.text() : Promise.reject(metricsOff())
  }

  /** Where `/metrics` is served (the real port when 0 was asked for), from start() until close(); else null. */
  get metricsUrl(): string | null {
    return this.#metrics?.url ?? null
  }

  /** Recent CPU % / RSS samples of a service (child services included), oldest first. */
  usage(name: string): UsageSample[] {
    this.#node(name)
    return this.#usage.history(name)
  }

  /** Every state change so far, oldest first, with the reason for each. */
  timeline(service?: string): StateChange[] {
    return service ? this.#timeline.filter((c) => c.service === service) : [...this.#timeline]
  }

  logs(service: string, limit?: number): LogLine[] {
    this.#node(service)
    return this.#output.get(service)!.tail(limit)
  }

  /** logs() of every host of a cluster on NATS, oldest first (another host's named `service@host`); on a host alone, logs(). */
  async clusterLogs(service: string, limit = 100): Promise<LogLine[]> {
    return mergeByTime([this.logs(service, limit), (await this.#cluster?.remoteLogs(service, limit)) ?? []], limit)
  }

  /** In a cluster on NATS, the other hosts' last `limit` lines of `services` (named `service@host`), then each new one
   * to `onLine` until stop(); this host's are logs() and the `log` event. On a host alone: none. */
  followClusterLogs(services: string[], limit: number, onLine: (line: LogLine) => void): Promise<FollowedLogs> {
    return this.#cluster?.followLogs(services, limit, onLine) ?? Promise.resolve({ tail: [], stop: () => undefined })
  }

  /** Resolves once every line recorded so far is in its service's log file (`logs.file`), all at the same moment. */
  async flushLogs(): Promise<void> {
    // While one file is written another can receive lines: done only when all are flushed at once.
    for (;;) {
      const pending = [...this.#output.values()].filter((output) => !output.flushed)
      if (pending.length === 0) return
      await Promise.all(pending.map((output) => output.flush()))
    }
  }

  /** Fault injection: signals a service's process groups (every instance's; `api#1`: that one's) without the close
   * protocol; resolves once they exited and what that set off has settled (settled()); at once for a signal that ends
   * nothing (SIGSTOP…) or when nothing runs; SVC_ERR_WAIT_TIMEOUT if not within `timeoutMs` (docs/api.md). */
  kill(service: string, signal: NodeJS.Signals = 'SIGKILL', timeoutMs = 30_000): Promise<void> {
    const instances = this.#care.resolve(service)
    const exits = instances.map((i) => exitOf(i.container, signal)).filter((exit) => exit !== null)
    for (const instance of instances) instance.container.kill(signal)
    const done = exits.length > 0
      ? within(Promise.all(exits), Date.now() + timeoutMs, () => `"${service}" to exit after ${signal}`).then(() => this.settled(timeoutMs))
      : Promise.resolve()
    done.catch(() => {}) // kill() is also called without await, as it was when it returned nothing
    return done
  }

  /** Resolves once no crash is being handled and every service is `running` or `closed`: when to check a fault. */
  settled(timeoutMs = 30_000): Promise<void> {
    return settled({ events: this, nodes: () => this.#nodes.values(), recoveriesDone: () => this.#supervisor.whenIdle() }, timeoutMs)
  }

  /** Resolves when `service` reaches `state` (at once if it is there). */
  waitFor(service: string, state: ServiceState, timeoutMs = 30_000): Promise<void> {
    const node = this.#node(service)
    return waitForState(this, service, () => node.state, state, timeoutMs)
  }

  // A service removed by apply(), or a child service whose parent closed: its node, output and edges go.
  #drop(name: string): void {
    this.#forget(name)
    this.#listenSockets.close(name)
    this.manifest.graph.remove(name)
    this.manifest.services = this.manifest.services.filter((s) => s.name !== name)
  }

  // A service added or redefined by apply(): a new node (a changed one keeps its place in the graph's order).
  #put(name: string, next: ResolvedManifest): void {
    const service = next.services.find((s) => s.name === name)!
    const at = this.manifest.services.findIndex((s) => s.name === name)
    if (at === -1) {
      this.manifest.graph.add(name, service.dependsOn)
      this.manifest.services.push(service)
    } else {
      this.#forget(name)
      this.manifest.graph.redefine(name, service.dependsOn)
      this.manifest.services[at] = service
    }
    this.#add(service)
  }

  #forget(name: string): void {
    this.#supervisor.forget(name)
    void this.#output.get(name)?.close()
    this.#output.delete(name)
    this.#nodes.delete(name)
  }

  #add(service: ResolvedService): ServiceNode {
    const containers = this.#options.containers ?? defaultContainers({
      privateDir: privateDir(this.manifest.stateDir),
      gate: this.#boots,
      launch: this.#launch,
      partialFrameTimeoutMs: this.#options.partialFrameTimeoutMs,
      listenSockets: this.#listenSockets,
    })
    const logFile = service.logs.file && (isAbsolute(service.logs.file) ? service.logs.file : resolve(this.manifest.cwd, service.logs.file))
    const output = new ServiceOutput(service, logFile || null, (line) => this.emit('log', line))
    const wiring = {
      run: this.#run,
      router: this.#router,
      bus: this.#bus,
      fanout: this.#fanout,
      mayUse: (from: string, to: string, action: string) => this.#methods.mayUse(from, to, action),
      events: this,
    }
    const node = new ServiceNode(service, {
      dependencies: (n) => this.manifest.graph.dependenciesOf(n.name).map((d) => this.#node(d)),
      dependents: (n) => this.manifest.graph.dependentsOf(n.name).map((d) => this.#node(d)),
      container: (n, index) => {
        const local = containers(instanceOf(service, index))
        const container = this.#cluster?.place(n, index, local) ?? local
        wireContainer(n, container, output, wiring)
        return container
      },
      retire: (_n, instance) => void instance.container.dispose(),
      retryStart: (n) => (this.#closing || n.stopped ? null : this.#supervisor.startRetry(n)),
      retryInstance: (n, instance) => this.#supervisor.instanceRetry(n, instance, instance.lastExit ?? { code: 1, signal: null }),
      ...(this.#cluster && { dependentsElsewhere: (n, moment) => this.#cluster!.dependentsElsewhere(n, moment) }),
    })
    this.#output.set(service.name, output)
    this.#nodes.set(service.name, node)
    node.on('state', (from, to, reason) => {
      const change: StateChange = { service: service.name, from, to, at: Date.now(), reason }
      this.#timeline.push(change)
      if (this.#timeline.length > TIMELINE_LIMIT) this.#timeline.shift()
      if (to === 'running') this.#care.serviceRunning(node, true)
      if (from === 'running') this.#care.serviceRunning(node, false)
      if (to === 'closed' && node.lastExit) {
        // The service's own error (a start failure's too, with its stack) says more than the manager's wrapper.
        node.lastExit.error = output.takeException() ?? node.lastExit.error
        this.emit('exit', { service: service.name, ...node.lastExit })
        if (node.failed && service.oneshot) this.#oneshotFailed(node)
      }
      this.emit('state', change)
      if (to === 'closed') {
        for (const child of finishedChildren(node, this.#nodes)) this.#drop(child)
      }
    })
    node.on('started', () => this.emit('spawned', { service: service.name, pid: node.pid, at: Date.now() }))
    node.on('instance', (instance, from, to, reason) => {
      this.#care.instanceChanged(node, instance, from, to)
      this.#cluster?.instancesChanged(this.#nodes.values())
      this.emit('instance', { service: service.name, instance: instance.id, index: instance.index, pid: instance.pid, from, to, at: Date.now(), reason })
    })
    node.on('instanceCrash', (instance, report) => {
      if (report.step !== 'moved') this.emit('instanceCrash', { service: service.name, instance: instance.id, code: report.code, signal: report.signal, at: Date.now() })
    })
    node.on('crash', (report) => {
      if (report.step !== 'moved') this.emit('crash', { service: service.name, code: report.code, signal: report.signal, at: Date.now() })
      void this.#supervisor.onCrash(node, report)
    })
    return node
  }

  // A one-shot that failed stays failed (its dependents do not start), as a service the supervisor gave up on.
  #oneshotFailed(node: ServiceNode): void {
    const why = node.lastExit?.error?.message ?? 'it failed'
    this.emit('failed', { service: node.name, why, at: Date.now() })
    if (node.service.critical) void this.#fail(node, why)
  }

  // A refusal: an event, and a line in the caller's log (rate-limited with the rest of its output).
  #denied(denial: Denial): void {
    this.#output.get(denial.caller)?.line('stderr', deniedLine(denial))
    this.emit('denied', { ...denial, at: Date.now() })
  }

  // Events a subscriber missed because it did not read its channel: an event, and a line in the subscriber's log.
  #eventsDropped(drop: EventDrop): void {
    this.#output.get(drop.subscriber)?.line('stderr', droppedLine(drop))
    this.emit('eventsDropped', { ...drop, at: Date.now() })
  }

  // ctx.spawnChild: the child joins the graph, depending on its parent, and starts.
  async #spawnChild(from: string, args: unknown[]): Promise<void> {
    const service = createChildService(this.#node(from).service, args, this.manifest)
    this.manifest.graph.add(service.name, [from])
    this.#add(service)
    this.emit('notice', { service: service.name, message: `child service of "${from}" created`, at: Date.now() })
    await this.#node(service.name).start('spawned by its parent')
  }

  // A critical service is gone for good: close everything in reverse order; start()/`svc up` fail.
  async #fail(node: ServiceNode, why: string): Promise<void> {
    if (this.#fatal) return
    this.#fatal = svcError('SVC_ERR_SERVICE_FAILED', `Critical service "${node.name}" failed (${why}); the manager closed every service.`, {
      service: node.name,
    })
    this.emit('fatal', { service: node.name, why, at: Date.now() })
    await this.close()
  }

  #known(names: Iterable<string>): string[] {
    const list = [...names]
    for (const n of list) this.#node(n)
    return list
  }

  #node(name: string): ServiceNode {
    const node = this.#nodes.get(name)
    if (!node) {
      throw svcError('SVC_ERR_UNKNOWN_SERVICE', `There is no service "${name}". Known services: ${[...this.#nodes.keys()].join(', ')}.`, {
        service: name,
      })
    }
    return node
  }
}
