// One host's link to the others of a cluster on NATS: it joins the membership (cluster/membership.ts) and says there,
// at each change, which instances it runs; it holds the leases of the slots it runs (cluster/lease.ts); it serves the
// calls to services it runs (cluster/nats-calls.ts) and carries events (cluster/nats-events.ts); and it answers what
// the instances placed across hosts ask (cluster/placed-container.ts).

import { EventEmitter } from 'eventemitter3'
import type { KV, Msg, NatsConnection, Subscription } from 'nats'
import { restoreError, serializeError, svcError, type SerializedError } from '../errors.js'
import type { LogLine } from '../manager/log-buffer.js'
import { OUTSIDE, type Answer } from '../manager/router.js'
import type { ResolvedCluster, ResolvedService } from '../manifest/normalize.js'
import type { EmitMessage, ResponseMessage } from '../protocol/messages.js'
import type { InstanceState } from '../protocol/snapshot.js'
import { RawBody } from '../protocol/raw-body.js'
import { jsonOrNull } from './json-or-null.js'
import { HeldLeases, Lease, type SlotLease } from './lease.js'
import { LogRelay, type FollowedLogs } from './log-relay.js'
import { Membership } from './membership.js'
import { bucketName, connectNats, openBucket } from './nats-buckets.js'
import { callOverNats, serveCalls, type Body, type IncomingCall } from './nats-calls.js'
import { publishEvent, subscribeEvents } from './nats-events.js'
import type { PlacementLink } from './placed-container.js'
import { eligible, preferredHost, unplaceable } from './placement.js'
import { bodyOf, RemotePeer, valueOf } from './remote-peer.js'
import { idToken } from './subjects.js'

/** A change of a service that every host carries out for its own part (reload and scale across hosts). */
export type Change = { op: 'reload'; service: string } | { op: 'scale'; service: string; count: number }

/** What the link needs of this host's manager. */
export interface LinkHost {
  service(name: string): ResolvedService | undefined
  /** A call from another host to a service running here (Router.relay: the access rule is checked here). */
  relay(from: string, to: string, method: string, args: RawBody, trace: string | undefined): Promise<Answer>
  /** An answer from a peer, to the router. */
  answered(service: string, peer: RemotePeer, message: ResponseMessage): void
  /** An event from the cluster for a subscriber running here. */
  deliver(subscriber: string, source: string, message: EmitMessage): void
  transitiveDependents(service: string): string[]
  transitiveDependencies(service: string): string[]
  /** Another host asked the whole cluster to close. */
  down(fromHost: string): void
  /** Another host asks this one to reload its instances of a service, or to give the service `count` instances. */
  change(change: Change): Promise<void>
  /** This host's last lines of a service. */
  logs(service: string, limit: number): LogLine[]
  notice(service: string, message: string): void
}

export interface LinkOptions {
  host: string
  /** How long a silent host stays in the membership, and a lease without renewal lasts (default 3000 ms). */
  ttlMs?: number
  callTimeoutMs: number
}

const LIVE: ReadonlySet<InstanceState | undefined> = new Set(['starting', 'running', 'draining', 'closing'])

export class ClusterLink extends EventEmitter<{ change: [] }> implements PlacementLink {
  readonly host: string
  readonly ttlMs: number
  closingAll = false
  /** This host closes alone: it hands the slots it runs over to the others (drain()). */
  draining = false
  /** The slots this host ran when it began to drain: it leaves once each runs elsewhere (or can run nowhere). */
  #handing: string[] = []
  #nc: NatsConnection | null = null
  #membership: Membership | null = null
  #leases: KV | null = null
  readonly #served = new Map<string, Subscription>()
  /** What this host runs, as it last said. */
  #local: Record<string, InstanceState> = {}
  /** `${subscriber}\0${source}` → its subscription, and the event names it takes. */
  readonly #subscribed = new Map<string, { sub: Subscription; events: Set<string> }>()
  #opening: Promise<void> | null = null
  #logs: LogRelay | null = null
  readonly #held = new HeldLeases((key) => Lease.acquire(this.#leases!, key, this.host, this.ttlMs))

  constructor(
    private readonly cluster: ResolvedCluster,
    private readonly linkHost: LinkHost,
    private readonly options: LinkOptions,
  ) {
    super()
    this.host = idToken('host', options.host)
    this.ttlMs = options.ttlMs ?? 3000
  }

  /** Connects and joins (once); rejects, coded, when NATS cannot be reached. */
  open(): Promise<void> {
    this.#opening ??= (async () => {
      const { name, nats } = this.cluster
      const nc = (this.#nc = await connectNats(nats!, `svc ${name} ${this.host}`, this.cluster.natsCredentials))
      nc.closed().then(() => this.emit('change')).catch(() => undefined)
      this.#leases = await openBucket(nc, bucketName(name, 'leases'), this.ttlMs)
      const membership = (this.#membership = await Membership.join(nc, name, this.host, this.ttlMs))
      membership.on('change', () => this.emit('change'))
      nc.subscribe(`svc.${name}.down.*`, {
        callback: (error, msg) => {
          const from = msg?.subject.split('.').pop()
          if (error || !from || from === this.host) return
          this.closingAll = true
          this.linkHost.down(from)
        },
      })
      nc.subscribe(`svc.${name}.change.${this.host}`, { callback: (error, msg) => error || void this.#serveChange(msg) })
      this.#logs = new LogRelay(nc, name, this.host, this.ttlMs, (service, limit) => this.linkHost.logs(service, limit))
    })()
    return this.#opening
  }

  /** The last `limit` lines of `service` on every other host up, each named `service@host`; a host that does not
   * answer within 2 s gives none. */
  remoteLogs(service: string, limit: number): Promise<LogLine[]> {
    return this.#logs?.tail(service, limit, this.#others()) ?? Promise.resolve([])
  }

  /** The last `limit` lines of `services` on every other host up, then each new one, until stop() (log-relay.ts). */
  followLogs(services: string[], limit: number, onLine: (line: LogLine) => void): Promise<FollowedLogs> {
    return this.#logs?.follow(services, limit, () => this.#others(), onLine) ?? Promise.resolve({ tail: [], stop() {} })
  }

  /** A new line of a service of this host: to the hosts that follow it. */
  logLine(line: LogLine): void {
    this.#logs?.line(line)
  }

  #others(): string[] {
    return this.hosts().filter((h) => h !== this.host)
  }

  /**
   * Has the other hosts carry out a change for their part: a reload one host after the other (each replaces the
   * instances it runs, so the service never runs fewer), only on the hosts that run the service; a scale on every host
   * at once (each host's graph has all the instances, and a new one is taken by its preferred host). Rejects with the
   * first host's error, named.
   */
  async changeElsewhere(change: Change): Promise<void> {
    const service = this.linkHost.service(change.service)!
    const others = (this.#membership?.up() ?? []).filter((e) => e.host !== this.host)
    const ask = async (host: string) => {
      // Bounded by what the change may take there: each instance's start, drain and stop, and a TTL.
      const perInstance = service.startTimeoutMs + service.drainTimeoutMs + service.stopTimeoutMs + service.killTimeoutMs
      const count = change.op === 'scale' ? Math.max(change.count, service.instances) : service.instances
      const reply = await this.#nc!.request(`svc.${this.cluster.name}.change.${host}`, JSON.stringify(change), { timeout: count * perInstance + this.ttlMs })
      const answer = jsonOrNull(reply.string()) as { error?: SerializedError } | null
      if (answer === null) throw svcError('SVC_ERR_PROTOCOL', `Host ${host} answered the ${change.op} of "${change.service}" with something that is not JSON.`, { service: change.service })
      if (answer.error) throw restoreError({ ...answer.error, message: `On host ${host}: ${answer.error.message}` })
    }
    if (change.op === 'scale') {
      await Promise.all(others.map((e) => ask(e.host)))
      return
    }
    for (const entry of others) {
      if (Object.entries(entry.instances ?? {}).some(([id, state]) => state === 'running' && serviceOf(id) === change.service)) await ask(entry.host)
    }
  }

  // Another host's reload or scale, for this host's part.
  async #serveChange(msg: Msg): Promise<void> {
    let answer: { error?: SerializedError } = {}
    try {
      const change = jsonOrNull(msg.string()) as Partial<Change> | null
      const known = typeof change?.service === 'string' && this.linkHost.service(change.service) !== undefined
      if (!known || (change.op !== 'reload' && !(change.op === 'scale' && typeof change.count === 'number'))) {
        throw svcError('SVC_ERR_PROTOCOL', `Host ${this.host} was sent a change it does not understand: ${msg.string().slice(0, 200)}`)
      }
      await this.linkHost.change(change as Change)
    } catch (error) {
      answer = { error: serializeError(error) }
    }
    msg.respond(JSON.stringify(answer))
  }

  /** The hosts up, as last seen. */
  hosts(): string[] {
    return this.#membership?.up().map((e) => e.host) ?? []
  }

  /** Says what runs here now; serves calls for each service with a running instance here, and only those. */
  publishInstances(instances: Record<string, InstanceState>): void {
    if (!this.#membership) return
    this.#local = instances
    void this.#membership.publish(instances)
    const running = new Set(Object.entries(instances).filter(([, s]) => s === 'running').map(([id]) => serviceOf(id)))
    for (const [service, sub] of this.#served) if (!running.has(service)) (sub.unsubscribe(), this.#served.delete(service))
    for (const service of running) if (!this.#served.has(service)) this.#served.set(service, serveCalls(this.#nc!, this.cluster.name, service, (call) => this.#serve(service, call)))
  }

  async #serve(service: string, call: IncomingCall): Promise<Body> {
    // The calling host is what NATS let its connection publish as; the calling service must be one that host may run
    // (another host's manager itself, OUTSIDE, may call as the local one may).
    const caller = call.from === OUTSIDE ? null : this.linkHost.service(call.from)
    if (call.from !== OUTSIDE && (!caller || !eligible(caller.placement, call.fromHost))) {
      throw svcError('SVC_ERR_ACCESS_DENIED', `Host "${call.fromHost}" sent a call to "${service}" as "${call.from}", which it does not run; refused.`, {
        service,
        details: { fromHost: call.fromHost, caller: call.from },
      })
    }
    const args = new RawBody(Buffer.from(call.args.buffer, call.args.byteOffset, call.args.length), call.codec)
    const answer = await this.linkHost.relay(call.from, service, call.method, args, call.traceparent)
    if (!answer.ok) throw restoreError(answer.error)
    return bodyOf(answer.value)
  }

  /** A way to call `service`'s instances on other hosts. */
  peer(service: string): RemotePeer {
    return new RemotePeer(
      (from, method, args, trace) => {
        const body = bodyOf(args)
        return callOverNats(this.#nc!, this.cluster.name, { fromHost: this.host, from, to: service, method, args: body.bytes, codec: body.codec, traceparent: trace, timeoutMs: this.options.callTimeoutMs })
      },
      (peer, message) => this.linkHost.answered(service, peer, message),
    )
  }

  /** Sends an event to the cluster: every subscribing service gets it once, on whichever host (this one included). */
  publishEvent(source: string, message: EmitMessage): void {
    if (!this.#nc) return
    const body = bodyOf(message.payload)
    try {
      publishEvent(this.#nc, this.cluster.name, this.host, source, message.event, body.bytes, body.codec)
    } catch (error) {
      this.linkHost.notice(source, `event ${message.event} not sent: ${(error as Error).message}`)
    }
  }

  /** A service running here subscribed to `source`'s `event`. */
  subscribe(subscriber: string, source: string, event: string): void {
    if (!this.#nc) return
    const key = `${subscriber}\0${source}`
    const existing = this.#subscribed.get(key)
    if (existing) return void existing.events.add(event)
    const events = new Set([event])
    const sub = subscribeEvents(this.#nc, this.cluster.name, subscriber, source, events, (e) => {
      this.linkHost.deliver(subscriber, source, { type: 'emit', event: e.event, payload: valueOf({ bytes: e.payload, codec: e.codec }) })
    })
    this.#subscribed.set(key, { sub, events })
  }

  /** A subscriber's last instance here ended: its subscriptions go. */
  unsubscribe(subscriber: string): void {
    for (const [key, { sub }] of this.#subscribed) {
      if (key.startsWith(`${subscriber}\0`)) {
        sub.unsubscribe()
        this.#subscribed.delete(key)
      }
    }
  }

  /**
   * This host closes alone: said at once in its entry, so the other hosts place its slots without it and close their
   * dependents of them (ClusterMode.dependentsElsewhere lets each go only then); the whole cluster closing does not.
   */
  async drain(): Promise<void> {
    if (this.closingAll || !this.#membership) return
    this.draining = true
    this.#handing = Object.entries(this.#local).filter(([id, state]) => state === 'running' && this.#isSlot(serviceOf(id))).map(([id]) => id)
    await this.#membership.drain()
  }

  /** Whether `service` is one this host hands over as it drains: a slot, not its own 'every' part nor a one-shot. */
  handsOver(service: string): boolean {
    return this.draining && this.#isSlot(service)
  }

  #isSlot(service: string): boolean {
    const resolved = this.linkHost.service(service)
    return resolved !== undefined && resolved.placement !== 'every' && !resolved.oneshot
  }

  /** Whether another host runs an instance of `service` (a slot a draining host hands over does not count). */
  runsElsewhere(service: string): boolean {
    const slot = this.#isSlot(service)
    return (this.#membership?.up() ?? []).some(
      (e) => e.host !== this.host && !(e.draining && slot) && Object.entries(e.instances ?? {}).some(([id, state]) => state === 'running' && serviceOf(id) === service),
    )
  }

  handingOver(host: string): boolean {
    return this.#membership?.get(host)?.draining === true
  }

  // Waits until each slot handed over runs on another host, or can run nowhere (none of its hosts is up), each bounded
  // by two TTLs and its start timeout from now (so all of them by the longest); says where each went.
  async #handedOver(): Promise<void> {
    const abort = new AbortController()
    const began = performance.now()
    for (const id of this.#handing) {
      const service = this.linkHost.service(serviceOf(id))!
      const deadline = began + 2 * this.ttlMs + service.startTimeoutMs
      const settled = () => this.runningOn(id) !== null || unplaceable(service.placement, this.#placeable()) !== null
      while (!settled() && performance.now() < deadline) await this.nextChange(Math.min(this.ttlMs / 3, deadline - performance.now()), abort.signal)
      const on = this.runningOn(id)
      this.linkHost.notice(service.name, on ? `${id} handed over: it runs on host ${on}` : `${id} runs on no other host (${unplaceable(service.placement, this.#placeable()) ?? 'not started elsewhere in time'})`)
    }
  }

  /** The hosts that take slots: those up, less the ones closing alone. */
  #placeable(): string[] {
    return (this.#membership?.up() ?? []).filter((e) => !e.draining).map((e) => e.host)
  }

  /** Asks every other host to close the whole graph. */
  async downAll(): Promise<void> {
    this.closingAll = true
    if (!this.#nc) return
    this.#nc.publish(`svc.${this.cluster.name}.down.${this.host}`)
    await this.#nc.flush().catch(() => undefined)
  }

  // What placed instances ask (cluster/placed-container.ts).

  mayTake(service: ResolvedService, index: number, waitingSinceMs: number): boolean {
    if (this.draining || !eligible(service.placement, this.host)) return false
    if (this.#held.holds(slotKey(`${service.name}#${index}`))) return true // a replacement of the instance here (a reload)
    if (performance.now() - waitingSinceMs >= this.ttlMs) return true // its preferred host has not run it for a TTL
    return preferredHost(service.placement, index, this.#placeable()) === this.host
  }

  waitReason(service: ResolvedService, index: number): string {
    const up = this.#placeable()
    const why = unplaceable(service.placement, up)
    if (why) return `a host: ${why}`
    return `host ${preferredHost(service.placement, index, up)} to run it`
  }

  acquire(id: string): Promise<SlotLease | null> {
    return this.#held.acquire(slotKey(id))
  }

  runningOn(id: string): string | null {
    for (const entry of this.#membership?.up() ?? []) if (entry.host !== this.host && !entry.draining && entry.instances?.[id] === 'running') return entry.host
    return null
  }

  nextChange(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        this.off('change', done)
        signal.removeEventListener('abort', done)
        resolve()
      }
      const timer = setTimeout(done, Math.max(1, ms))
      this.once('change', done)
      signal.addEventListener('abort', done, { once: true })
    })
  }

  /** Waits until `service`'s dependents on other hosts are quiet: closed before it closes; before it starts, closed
   * or still starting (a dependent starting elsewhere waits for it: waiting for that one would wait for nothing). */
  async quietDependents(service: string, moment: 'start' | 'close'): Promise<void> {
    const dependents = this.linkHost.transitiveDependents(service)
    if (dependents.length === 0) return
    const busy = () =>
      (this.#membership?.up() ?? []).some(
        (entry) =>
          entry.host !== this.host &&
          Object.entries(entry.instances ?? {}).some(([id, state]) => LIVE.has(state) && !(moment === 'start' && state === 'starting') && dependents.includes(serviceOf(id))),
      )
    // Bounded: a host that never closes them (cut off, its manager stuck) holds this start back one TTL at most after
    // it would have dropped out.
    const deadline = performance.now() + 2 * this.ttlMs
    const abort = new AbortController()
    while (busy() && performance.now() < deadline) await this.nextChange(this.ttlMs / 3, abort.signal)
  }

  dependencyDown(service: string): boolean {
    const running = new Set<string>()
    for (const instances of [this.#local, ...(this.#membership?.up() ?? []).filter((e) => e.host !== this.host).map((e) => e.instances ?? {})]) {
      for (const [id, state] of Object.entries(instances)) if (state === 'running') running.add(serviceOf(id))
    }
    // (A one-shot that completed runs nowhere by design: it is not down.)
    return this.linkHost.transitiveDependencies(service).some((d) => !running.has(d) && !this.linkHost.service(d)?.oneshot)
  }

  notice(service: string, message: string): void {
    this.linkHost.notice(service, message)
  }

  /** Leaves the cluster at once (rather than a TTL later) and closes the connection. */
  async close(): Promise<void> {
    if (!this.#opening) return
    await this.#opening.catch(() => undefined)
    if (this.draining) await this.#handedOver()
    this.#logs?.close()
    await this.#membership?.leave()
    await this.#nc?.drain().catch(() => undefined)
  }
}

/** A slot's key in the leases bucket (`api#0` → `api.0`). */
function slotKey(id: string): string {
  return id.replace('#', '.')
}

/** The service of an instance id (`api#0` → `api`). */
function serviceOf(id: string): string {
  return id.slice(0, id.lastIndexOf('#'))
}
