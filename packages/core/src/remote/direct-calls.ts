// The caller side of direct calls. Per target: ask the manager for grants (one per running instance), connect to
// each, and from then on spread that target's calls over those sockets (the fewest in flight, ties in turn). Until a
// channel is open — or whenever the target is not `direct`, not running, or every socket has closed or said goaway —
// calls are relayed by the manager as usual, so nothing waits on the set-up. A target that runs only on other hosts
// may be granted as NATS subjects instead, one per instance (both with NATS users of their own): its calls then go
// over this service's own NATS connection (remote/nats-channel.ts).

import { connect } from 'node:net'
import { restoreError, svcError } from '../errors.js'
import { closedError } from './closed-error.js'
import { fewestInFlight } from './fewest-in-flight.js'
import { NatsChannel, REFRESH_MS, type NatsRequests, type Relay } from './nats-channel.js'
import { FramePort } from '../port/frame-port.js'
import { isTooLarge, tooLargeFor } from '../port/message-size.js'
import { MAX_DIRECT_FRAME_BYTES, type DirectCallerMessage, type DirectGrant, type DirectTargetMessage, type NatsGrant, type SocketGrant } from '../protocol/messages.js'
import { outgoingTrace } from './tracing.js'

interface Pending {
  resolve(value: unknown): void
  reject(error: Error): void
  timer: NodeJS.Timeout
  method: string
}

/** After "not now" (the target is not running or not listening), ask again only after this long. */
const RETRY_AFTER_MS = 1000

/** A socket to one instance of the target. `active` until it says goaway: then it only answers what it has. */
interface Link {
  path: string
  port: FramePort<DirectTargetMessage, DirectCallerMessage>
  pending: Map<number, Pending>
  active: boolean
}

type Channel =
  | { state: 'opening' }
  | { state: 'open'; links: Link[]; turn: number; refreshAt: number; refreshing: boolean }
  | { state: 'nats'; calls: NatsChannel; refreshAt: number; refreshing: boolean }
  | { state: 'relay'; until: number }

type Open = Extract<Channel, { state: 'open' }>
type OverNats = Extract<Channel, { state: 'nats' }>

export class DirectCalls {
  readonly #channels = new Map<string, Channel>()
  #nextId = 1
  #closed = false

  constructor(
    private readonly self: string,
    /** Asks the manager (relayed) for grants to `target`'s running instances; null when it serves none. */
    private readonly grant: (target: string) => Promise<DirectGrant[] | DirectGrant | null>,
    private readonly relay: Relay,
    /** Set once this service's NATS connection is up (it has a NATS user of its own). */
    public nats: NatsRequests | null = null,
  ) {}

  /** Sends the call directly if a channel to `to` is open; otherwise returns null (relay it) and opens one. */
  call(to: string, method: string, args: unknown[], timeoutMs: number): Promise<unknown> | null {
    const channel = this.#channels.get(to)
    if (channel?.state === 'open') {
      if (Date.now() >= channel.refreshAt) void this.#refresh(to, channel)
      const link = pick(channel)
      if (link) return this.#send(to, link, method, args, timeoutMs)
      return null // every instance it knows said goaway: relayed until the refresh finds the new ones
    }
    if (channel?.state === 'nats') {
      if (Date.now() >= channel.refreshAt) void this.#refreshNats(to, channel)
      const sent = channel.calls.call(method, args, timeoutMs)
      if (sent) return sent
      this.#channels.set(to, { state: 'relay', until: Date.now() + RETRY_AFTER_MS }) // no instance left to send to
      return null
    }
    if (!this.#closed && (!channel || (channel.state === 'relay' && Date.now() >= channel.until))) void this.#open(to)
    return null
  }

  /** The service is closing: no new channels, every open one is cut (pending calls fail). */
  close(reason: string): void {
    this.#closed = true
    for (const [to, channel] of this.#channels) {
      if (channel.state === 'open') for (const link of [...channel.links]) this.#drop(to, channel, link, `"${this.self}" is closing (${reason})`)
      if (channel.state === 'nats') channel.calls.close(`"${this.self}" is closing (${reason})`)
    }
  }

  async #open(to: string): Promise<void> {
    this.#channels.set(to, { state: 'opening' })
    const later = (forMs = RETRY_AFTER_MS) => this.#channels.set(to, { state: 'relay', until: Date.now() + forMs })
    let grants: DirectGrant[] | null
    try {
      grants = await this.#grants(to)
    } catch {
      return void later() // not running or not listening now: ask again later
    }
    if (!grants) return void later(Infinity) // the target does not serve direct calls at all
    const overNats = grants.filter((grant): grant is NatsGrant => 'subject' in grant)
    if (overNats.length > 0) {
      if (!this.nats || this.#closed) return void later() // its NATS connection is not up (yet)
      const channel: OverNats = { state: 'nats', calls: null!, refreshAt: Date.now() + REFRESH_MS, refreshing: false }
      channel.calls = new NatsChannel(to, this.nats, this.relay, () => void this.#refreshNats(to, channel))
      channel.calls.update(overNats)
      return void this.#channels.set(to, channel)
    }
    const channel: Open = { state: 'open', links: [], turn: 0, refreshAt: Date.now() + REFRESH_MS, refreshing: false }
    await Promise.all(grants.map((grant) => this.#connect(to, channel, grant as SocketGrant)))
    if (this.#closed || channel.links.length === 0) return void later()
    this.#channels.set(to, channel)
  }

  /** Asks for grants again and connects to instances it has no socket to yet. */
  async #refresh(to: string, channel: Open): Promise<void> {
    if (channel.refreshing || this.#closed) return
    channel.refreshing = true
    channel.refreshAt = Date.now() + REFRESH_MS
    try {
      const grants = await this.#grants(to)
      const known = new Set(channel.links.map((link) => link.path))
      const fresh = (grants ?? []).filter((grant): grant is SocketGrant => 'path' in grant && !known.has(grant.path))
      await Promise.all(fresh.map((grant) => this.#connect(to, channel, grant)))
    } catch {
      // not running now: the links it has carry on, and the next refresh asks again
    } finally {
      channel.refreshing = false
    }
  }

  /** Asks for grants again: runs that ended are dropped (calls in flight to them fail), new ones added; an instance
   * that now runs on this host is reached over its socket instead, once the calls in flight are answered. */
  async #refreshNats(to: string, channel: OverNats): Promise<void> {
    if (channel.refreshing || this.#closed) return
    channel.refreshing = true
    channel.refreshAt = Date.now() + REFRESH_MS
    let grants: DirectGrant[]
    try {
      grants = (await this.#grants(to)) ?? []
    } catch {
      grants = [] // it runs nowhere now
    } finally {
      channel.refreshing = false
    }
    if (this.#channels.get(to) !== channel) return
    if (grants.some((grant) => 'path' in grant)) return void this.#channels.delete(to) // the next call opens the sockets
    channel.calls.update(grants.filter((grant): grant is NatsGrant => 'subject' in grant))
  }

  async #grants(to: string): Promise<DirectGrant[] | null> {
    const answer = await this.grant(to)
    return answer === null ? null : Array.isArray(answer) ? answer : [answer]
  }

  async #connect(to: string, channel: Open, grant: SocketGrant): Promise<void> {
    if (this.#closed) return
    const socket = connect(grant.path)
    socket.once('error', () => {}) // 'close' follows and handles it
    await new Promise<void>((resolve) => {
      socket.once('connect', resolve)
      socket.once('close', resolve)
    })
    if (socket.destroyed || this.#closed) return void socket.destroy()
    const port = new FramePort<DirectTargetMessage, DirectCallerMessage>(socket, { rawBodies: false, maxFrameBytes: MAX_DIRECT_FRAME_BYTES })
    port.send({ type: 'directHello', caller: this.self, token: grant.token })
    const link: Link = { path: grant.path, port, pending: new Map(), active: true }
    port.on('message', (message) => {
      if (message.type !== 'goaway') return this.#settle(link, message)
      // That instance is closing: nothing more goes to it, and the others (or the replacement) are found now.
      link.active = false
      port.send({ type: 'goawayAck' })
      void this.#refresh(to, channel)
    })
    port.on('close', () => this.#drop(to, channel, link, `"${to}" closed the direct channel`))
    channel.links.push(link)
  }

  #send(to: string, link: Link, method: string, args: unknown[], timeoutMs: number): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const id = this.#nextId++
      let sent: boolean
      try {
        const trace = outgoingTrace()
        sent = link.port.send(trace ? { type: 'request', id, to, method, args, trace } : { type: 'request', id, to, method, args })
      } catch (cause) {
        if (isTooLarge(cause)) return reject(tooLargeFor(this.self, `the arguments of ${to}.${method} (on its direct channel)`, cause))
        reject(
          svcError('SVC_ERR_NOT_SERIALIZABLE', `Service "${this.self}" called ${to}.${method} with arguments that cannot be sent (${(cause as Error).message}). Pass JSON-serialisable values.`, {
            service: this.self,
            cause,
          }),
        )
        return
      }
      if (!sent) return reject(closedError(to, method, 'its direct channel closed'))
      const timer = setTimeout(() => {
        link.pending.delete(id)
        reject(
          svcError('SVC_ERR_CALL_TIMEOUT', `Call from "${this.self}" to ${to}.${method} got no answer within ${timeoutMs} ms. Is "${to}" stuck, or does the call need a longer timeoutMs?`, {
            service: to,
            details: { caller: this.self, method, timeoutMs, direct: true },
          }),
        )
      }, timeoutMs)
      link.pending.set(id, { resolve, reject, timer, method })
    })
  }

  #settle(link: Link, message: Exclude<DirectTargetMessage, { type: 'goaway' }>): void {
    const pending = message.type === 'response' ? link.pending.get(message.id) : undefined
    if (!pending) return // answered after its timeout, or junk
    link.pending.delete(message.id)
    clearTimeout(pending.timer)
    if (message.ok) pending.resolve(message.value)
    else pending.reject(restoreError(message.error))
  }

  #drop(to: string, channel: Open, link: Link, why: string): void {
    const at = channel.links.indexOf(link)
    if (at !== -1) channel.links.splice(at, 1)
    // The last socket gone: relay, and open again on the next call.
    if (channel.links.length === 0 && this.#channels.get(to) === channel) this.#channels.delete(to)
    for (const [id, pending] of link.pending) {
      clearTimeout(pending.timer)
      pending.reject(closedError(to, pending.method, why))
      link.pending.delete(id)
    }
    link.port.close() // its 'close' comes back here, with nothing left to fail
  }
}

/** The active link with the fewest calls in flight, ties in turn; null when none is active. */
function pick(channel: Open): Link | null {
  return fewestInFlight(channel.links, channel.turn++, (link) => link.pending.size, (link) => link.active)
}
