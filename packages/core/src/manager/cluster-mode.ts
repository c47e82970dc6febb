// A manager whose manifest has `cluster.nats` runs its part of a graph across hosts: each instance becomes a
// PlacedContainer (cluster/placed-container.ts), this host says what it runs, serves calls to it from the other hosts,
// and events go through NATS (so a subscribing service gets each event once, on whichever host). Without
// `cluster.nats` nothing here is made, and nothing of NATS is loaded.

import { hostname } from 'node:os'
import type { ServiceContainer } from '../container/service-container.js'
import type { ClusterLink } from '../cluster/cluster-link.js'
import type { FollowedLogs } from '../cluster/log-relay.js'
import { PlacedContainer } from '../cluster/placed-container.js'
import type { ResolvedManifest } from '../manifest/normalize.js'
import { setLocalHost } from '../node/instance.js'
import type { ServiceNode } from '../node/service-node.js'
import type { EmitMessage } from '../protocol/messages.js'
import type { InstanceState } from '../protocol/snapshot.js'
import type { EventBus } from './event-bus.js'
import type { LogLine } from './log-buffer.js'
import type { EventFanout } from './event-fanout.js'
import type { ManagerOptions } from './options.js'
import type { Router } from './router.js'

export type { FollowedLogs }

export interface ClusterParts {
  router: Router
  bus: EventBus
  fanout: () => EventFanout
  /** Another host asked the whole cluster to close. */
  down(fromHost: string): void
  node(name: string): ServiceNode
  /** This host's last lines of a service (ServicesManager.logs). */
  logs(service: string, limit: number): LogLine[]
  /** Each new line of this host's services (the manager's `log` event). */
  onLog(listener: (line: LogLine) => void): void
  notice(service: string, message: string): void
}

export class ClusterMode {
  #link: ClusterLink | null = null
  #opened: ((link: ClusterLink) => void) | null = null
  #opening: Promise<void> | null = null
  /** The link once open(): what placed instances wait for at their first start. */
  readonly link: Promise<ClusterLink>
  readonly host: string

  private constructor(
    private readonly manifest: ResolvedManifest,
    private readonly options: ManagerOptions,
    private readonly parts: ClusterParts,
  ) {
    this.host = options.host ?? process.env.SVC_HOST ?? hostname().split('.')[0]!.replace(/[^A-Za-z0-9_-]/g, '-')
    setLocalHost(this.host)
    for (const service of manifest.services) {
      service.env = { SVC_HOST: this.host, ...service.env }
      if (service.nats) service.nats = { ...service.nats, host: this.host }
    }
    this.link = new Promise((resolve) => (this.#opened = resolve))
  }

  /** The cluster part of a manager, or null when its manifest runs on this host alone. */
  static of(manifest: ResolvedManifest, options: ManagerOptions, parts: ClusterParts): ClusterMode | null {
    return manifest.cluster?.nats ? new ClusterMode(manifest, options, parts) : null
  }

  /** Joins the cluster (once): loads NATS, connects, joins. Rejects, coded, when NATS cannot be reached; the next
   * start() tries again (no instance waits meanwhile: start() joins before it starts any). */
  open(): Promise<void> {
    this.#opening ??= this.#open().catch((error: Error) => {
      this.#opening = null
      throw error
    })
    return this.#opening
  }

  async #open(): Promise<void> {
    const { manifest, parts } = this
    const { router, bus } = parts
    const { ClusterLink } = await import('../cluster/cluster-link.js')
    const timeoutMs = this.options.callTimeoutMs ?? 30_000
    const link = new ClusterLink(manifest.cluster!, {
      service: (name) => manifest.services.find((s) => s.name === name),
      relay: (from, to, method, args, trace) => router.relay(from, to, method, args, trace, timeoutMs),
      answered: (service, peer, message) => router.fromResponse(service, peer, message),
      deliver: (subscriber, source, message) => {
        if ([...bus.subscribersOf(source, message.event)].includes(subscriber)) parts.fanout().deliver(subscriber, source, message)
      },
      transitiveDependents: (service) => [...manifest.graph.transitiveDependents([service])],
      transitiveDependencies: (service) => [...manifest.graph.withDependencies([service])].filter((n) => n !== service),
      down: parts.down,
      change: (change) => (change.op === 'reload' ? parts.node(change.service).reload() : parts.node(change.service).scale(change.count)),
      notice: parts.notice,
      logs: parts.logs,
    }, { host: this.host, ttlMs: this.options.clusterTtlMs, callTimeoutMs: timeoutMs })
    await link.open()
    parts.onLog((line) => link.logLine(line))
    bus.listener = { subscribed: (subscriber, source, event) => link.subscribe(subscriber, source, event), dropped: (subscriber) => link.unsubscribe(subscriber) }
    this.#link = link
    this.#opened!(link)
  }

  /** Wraps a new instance's container: where it runs is decided at each of its starts. */
  place(node: ServiceNode, index: number, local: ServiceContainer): ServiceContainer {
    return new PlacedContainer(local.service, index, local, this.link)
  }

  /**
   * Before a service starts while it runs on no other host (its restart after a crash, its move), and before it
   * closes, its dependents on other hosts close first — where they will close anyway: after a crash of the service
   * (the cascade, which every host carries out for its own part), when the whole cluster closes, when a service it
   * depends on runs nowhere, or when this host closes alone and hands the service over (the others close their
   * dependents, and place it again). A one-shot's start, a start of a service that runs elsewhere (an 'every' one)
   * and any other close of this host's part do not wait for the others. Bounded (cluster/cluster-link.ts,
   * quietDependents).
   */
  async dependentsElsewhere(node: ServiceNode, moment: 'start' | 'close'): Promise<void> {
    const link = this.#link
    if (!link) return
    const here = node.instances.some((i) => i.live && !i.remote)
    const restarting = moment === 'start' && !node.service.oneshot && !link.runsElsewhere(node.name)
    if (restarting || (moment === 'close' && (link.closingAll || (here && (link.handsOver(node.name) || link.dependencyDown(node.name)))))) {
      await link.quietDependents(node.name, moment)
    }
  }

  /** An event a service emitted: to the cluster, whose subscribers (here too) get it from NATS. */
  emit(source: string, message: EmitMessage): boolean {
    this.#link?.publishEvent(source, message)
    return true
  }

  /** An instance changed: say what this host runs now. */
  instancesChanged(nodes: Iterable<ServiceNode>): void {
    if (!this.#link) return
    const instances: Record<string, InstanceState> = {}
    // During a reload an instance and its replacement share an id: it runs while either does.
    for (const node of nodes) for (const i of node.instances) if (!i.remote && i.live && instances[i.id] !== 'running') instances[i.id] = i.state
    this.#link.publishInstances(instances)
  }

  /** The last `limit` lines of `service` on every other host up, each named `service@host`. */
  remoteLogs(service: string, limit: number): Promise<LogLine[]> {
    return this.#link?.remoteLogs(service, limit) ?? Promise.resolve([])
  }

  /** This host closes alone: the slots it runs move to the others, its part closes, and it leaves once they run there
   * (cluster/cluster-link.ts, drain). */
  async drain(): Promise<void> {
    await this.#link?.drain()
  }

  /** Reloads `name` on every host that runs it, one host after the other: this one (`here`) first. */
  async reload(name: string, here: () => Promise<void>): Promise<void> {
    await here()
    await this.#link?.changeElsewhere({ op: 'reload', service: name })
  }

  /** Gives `name` `count` instances on every host at once (`here`: this one's part). */
  async scale(name: string, count: number, here: () => Promise<void>): Promise<void> {
    await Promise.all([here(), this.#link?.changeElsewhere({ op: 'scale', service: name, count })])
  }

  /** The other hosts' last `limit` lines of `services`, then each new one, until stop() (cluster/log-relay.ts). */
  followLogs(services: string[], limit: number, onLine: (line: LogLine) => void): Promise<FollowedLogs> {
    return this.#link?.followLogs(services, limit, onLine) ?? Promise.resolve({ tail: [], stop: () => undefined })
  }

  /** Asks every host to close the whole graph; this host's manager closes its own part after. */
  async downAll(): Promise<void> {
    await this.#link?.downAll()
  }

  /** Leaves the cluster at once (a clean shutdown) and closes the connection. */
  async close(): Promise<void> {
    await this.#link?.close()
  }
}
