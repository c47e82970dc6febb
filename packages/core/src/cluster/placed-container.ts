// One instance of a service in a graph across hosts: its process runs here or on another host, decided at each start.
//
//   'every'            it runs here (each host runs its own);
//   'any', { hosts }   the instance is a slot that one host at a time holds, by a fenced lease (cluster/lease.ts):
//                      this host takes it when it is the slot's preferred host among those up (or nobody has run it
//                      for a TTL), and otherwise follows the host that runs it.
//
// Followed, the instance is a RemotePeer: calls reach it over NATS, it "runs" while its host says so, and it "exits"
// (a crash, as far as this host's graph is concerned) when its host says it no longer runs or its host drops out. So
// the graph's own rules — start order, the crash cascade, balancing — apply across hosts unchanged.
// Held, it runs here; when the lease is lost (this host was frozen or cut off past the TTL) its process is killed at
// once, before it can act on a slot another host now holds.

import type { ExitReport, ServiceContainer } from '../container/service-container.js'
import { ServiceContainer as Container } from '../container/service-container.js'
import type { ServiceController } from '../controller/service-controller.js'
import { svcError } from '../errors.js'
import type { ResolvedService } from '../manifest/normalize.js'
import type { DirectGrant } from '../protocol/messages.js'
import type { SlotLease } from './lease.js'
import type { RemotePeer } from './remote-peer.js'
import { directSubject } from './subjects.js'

/** What an instance asks of the cluster (cluster/cluster-link.ts). */
export interface PlacementLink {
  readonly ttlMs: number
  /** What a slot that nobody runs waits for: a host up among its hosts, or the one it is preferred on. */
  waitReason(service: ResolvedService, index: number): string
  /** Whether this host should try to take the slot now (it is the preferred one, or the slot went unserved long enough). */
  mayTake(service: ResolvedService, index: number, waitingSinceMs: number): boolean
  /** The slot's lease (shared with an instance of the same slot here: a reload's replacement), or null. */
  acquire(id: string): Promise<SlotLease | null>
  /** Another host whose entry says the instance runs there, or null (a host that is closing alone runs no slot). */
  runningOn(id: string): string | null
  /** Whether `host` is closing alone, handing its slots over (HostEntry.draining). */
  handingOver(host: string): boolean
  /** Resolves at the next change of any host's entry, or after `ms`. */
  nextChange(ms: number, signal: AbortSignal): Promise<void>
  peer(service: string): RemotePeer
  /** The whole cluster is closing: a followed instance is closed once its own host has closed it. */
  readonly closingAll: boolean
  notice(service: string, message: string): void
}

const GONE: ExitReport = { code: null, signal: null, expected: false, step: 'exited' }
const MOVED: ExitReport = { ...GONE, step: 'moved' }

export class PlacedContainer extends Container {
  #followed: { host: string; peer: RemotePeer; stop: () => void; run: number } | null = null
  /** How many runs elsewhere this instance has followed: tells a grant for one run from the next. */
  #runs = 0
  /** The cluster, once this host has joined it (at the first start). */
  #link: PlacementLink | null = null
  #lease: SlotLease | null = null
  #waiting: AbortController | null = null
  #waitingFor: string | null = null

  constructor(
    service: ResolvedService,
    private readonly index: number,
    private readonly local: ServiceContainer,
    private readonly joined: Promise<PlacementLink>,
  ) {
    super(service)
    local.on('output', (stream, line) => this.emit('output', stream, line))
    local.on('spawn', (pid) => this.emit('spawn', pid))
    local.on('gone', (pid) => this.emit('gone', pid))
    local.on('controller', (controller) => this.emit('controller', controller))
    local.on('started', (pid) => this.emit('started', pid))
    local.on('exit', (report) => {
      // A crash gives the slot up: restarted here, it is taken again (this host is still its preferred one); left
      // down (its restarts given up), another host takes it a TTL later, rather than never.
      if (!report.expected) void this.#release()
      this.emit('exit', report)
    })
  }

  get id(): string {
    return `${this.service.name}#${this.index}`
  }

  get permissionReport(): string[] {
    return this.local.permissionReport
  }

  get controller(): ServiceController | null {
    return this.#followed ? null : this.local.controller
  }

  get pid(): number | null {
    return this.#followed ? null : this.local.pid
  }

  override get sparePid(): number | null {
    return this.local.sparePid
  }

  override get host(): string | null {
    return this.#followed?.host ?? null
  }

  override get waitingFor(): string | null {
    return this.#waitingFor
  }

  override get peer(): RemotePeer | null {
    return this.#followed?.peer ?? null
  }

  override get listening() {
    return this.local.listening
  }

  // Running on another host: its own NATS subject, when it serves one (ManagerMethods checks the caller has a user).
  override directGrant(caller: string): DirectGrant | null {
    const followed = this.#followed
    if (!followed) return this.local.directGrant(caller)
    const { nats, direct, name } = this.service
    if (!nats || !direct) return null
    return { subject: directSubject(nats.cluster, name, { host: followed.host, index: this.index }, caller), run: `${followed.host}/${this.id}/${followed.run}` }
  }

  /** Runs here whatever other hosts do: 'every', and a one-shot (it runs on each host that starts it). */
  get #own(): boolean {
    return this.service.placement === 'every' || this.service.oneshot
  }

  /** Boots the next process ahead only where it surely runs here. */
  prepare(): Promise<void> {
    return this.#own ? this.local.prepare() : Promise.resolve()
  }

  private get link(): PlacementLink {
    return this.#link!
  }

  async start(): Promise<void> {
    this.#link ??= await this.joined
    if (!this.#own && !this.#lease?.held) {
      const abort = (this.#waiting = new AbortController())
      const since = performance.now()
      try {
        for (;;) {
          const host = this.link.runningOn(this.id)
          if (host) return this.#follow(host)
          if (this.link.mayTake(this.service, this.index, since) && (this.#lease = await this.link.acquire(this.id))) break
          if (abort.signal.aborted) throw this.#aborted()
          this.#waitingFor = this.link.waitReason(this.service, this.index)
          // Woken by any change of the membership; else tries again soon: a lease outlives its holder's last entry
          // by up to a third of the TTL (its last renewal), and failover waits for no longer than that.
          await this.link.nextChange(Math.floor(this.link.ttlMs / 10), abort.signal)
          if (abort.signal.aborted) throw this.#aborted()
        }
      } finally {
        this.#waiting = null
        this.#waitingFor = null
      }
      const lease = this.#lease
      lease.onLost((why) => {
        if (this.#lease === lease) this.#lease = null
        this.link.notice(this.service.name, `${this.id} stopped at once: its lease is lost (${why}); another host may run it now`)
        this.local.kill('SIGKILL')
      })
    }
    await this.local.start()
  }

  async stop(reason: string): Promise<ExitReport> {
    this.#waiting?.abort()
    const followed = this.#followed
    if (followed && this.#link) {
      // The whole cluster closes: this host's dependents closed first, and the instance is closed by its own host.
      if (this.link.closingAll) await this.#until(() => this.link.runningOn(this.id) === null, this.service.stopTimeoutMs + this.service.killTimeoutMs)
      this.#unfollow()
      return { code: null, signal: null, expected: true, step: 'closed' }
    }
    const report = await this.local.stop(reason)
    await this.#release()
    return report
  }

  async #release(): Promise<void> {
    const lease = this.#lease
    this.#lease = null
    await lease?.release()
  }

  kill(signal: NodeJS.Signals): void {
    if (!this.#followed) this.local.kill(signal)
  }

  override dispose(): Promise<void> {
    return this.local.dispose()
  }

  #follow(host: string): void {
    const peer = this.link.peer(this.service.name)
    const check = () => {
      if (this.link.runningOn(this.id) === host) return
      // Its host says it no longer runs it, or its host is gone: for this host's graph, it exited — or, when its host
      // is closing alone, it moves: this host's dependents close, and it is placed again (supervision/restart-policy.ts).
      this.emit('exit', this.link.handingOver(host) ? MOVED : GONE)
      this.#unfollow()
    }
    const watch = new AbortController()
    void (async () => {
      while (!watch.signal.aborted) {
        await this.link.nextChange(Math.floor(this.link.ttlMs / 3), watch.signal)
        if (!watch.signal.aborted) check()
      }
    })()
    this.#followed = { host, peer, stop: () => watch.abort(), run: ++this.#runs }
    this.emit('started', 0)
  }

  #unfollow(): void {
    const followed = this.#followed
    if (!followed) return
    this.#followed = null
    followed.stop()
    followed.peer.disconnect()
  }

  async #until(done: () => boolean, timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs
    const abort = new AbortController()
    while (!done() && performance.now() < deadline) await this.link.nextChange(Math.min(250, deadline - performance.now()), abort.signal)
  }

  #aborted(): Error {
    return svcError('SVC_ERR_START_ABORTED', `Instance ${this.id} was asked to close while waiting for its place in the cluster; the start was cancelled.`, {
      service: this.service.name,
    })
  }
}
