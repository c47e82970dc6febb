// Log lines across hosts (`svc logs`, `svc logs -f`, the dashboard's log pane). Each host answers, on
// `svc.<cluster>.logs.<host>`, another's request for its last lines of some services; a request that names an inbox
// also makes it send each new line of those services there, until the follower stops renewing it (one TTL; renewed
// every third). The tail and the start of the following are taken in one tick, so a follower neither misses nor
// repeats a line of that host. Lines arrive named `service@host` (no service name holds '@').
//
// Bounded against a broken or hostile peer: at most MAX_FOLLOWERS inboxes per host, each an inbox (`_INBOX.…`, never
// another subject), at most MAX_REMOTE_LINES lines and one NATS message per answer.

import { createInbox, type Msg, type NatsConnection, type Subscription } from 'nats'
import { mergeByTime, type LogLine } from '../manager/log-buffer.js'
import { jsonOrNull } from './json-or-null.js'

/** At most this many lines of a host are sent in one answer. */
const MAX_REMOTE_LINES = 10_000
/** At most this many followers per host at once; more are answered, but not followed. */
export const MAX_FOLLOWERS = 64
const INBOX = /^_INBOX\.[A-Za-z0-9]+$/

interface LogRequest {
  services: string[]
  limit: number
  /** Follow: send each new line there. */
  inbox?: string
  /** Stop following (the inbox's). */
  stop?: boolean
}

export interface FollowedLogs {
  /** The last lines of every other host up, oldest first. */
  tail: LogLine[]
  stop(): void
}

export class LogRelay {
  /** inbox → what it follows, and until when (performance.now()) unless renewed. */
  readonly #followers = new Map<string, { services: Set<string>; until: number }>()
  /** This host's own follows of the others' lines: stopped at close() if their owner has not. */
  readonly #following = new Set<() => void>()
  readonly #sub: Subscription

  constructor(
    private readonly nc: NatsConnection,
    private readonly cluster: string,
    private readonly host: string,
    private readonly ttlMs: number,
    /** This host's last lines of a service (throws for a service it does not know). */
    private readonly logs: (service: string, limit: number) => LogLine[],
  ) {
    this.#sub = nc.subscribe(this.#subject(host), { callback: (error, msg) => error || this.#serve(msg) })
  }

  /** A new line of a service of this host: to every host that follows that service. */
  line(line: LogLine): void {
    if (this.#followers.size === 0) return
    const now = performance.now()
    let body: string | undefined
    for (const [inbox, follower] of this.#followers) {
      if (follower.until < now) this.#followers.delete(inbox)
      else if (follower.services.has(line.service)) {
        body ??= JSON.stringify(this.#named(line))
        try {
          this.nc.publish(inbox, body)
        } catch {
          this.#followers.delete(inbox) // the connection is closing
        }
      }
    }
  }

  /** The last `limit` lines of `service` on each of `hosts`; a host that does not answer within 2 s gives none. */
  async tail(service: string, limit: number, hosts: string[]): Promise<LogLine[]> {
    const tails = await Promise.all(hosts.map((host) => this.#ask(host, { services: [service], limit })))
    return mergeByTime(tails, limit)
  }

  /**
   * The last `limit` lines of `services` on each host `hosts()` names, then each new line there (to `onLine`) until
   * stop(). Every third of the TTL each host up is asked again: that keeps it sending, and reaches a host that joins
   * later (from its next line on).
   */
  async follow(services: string[], limit: number, hosts: () => string[], onLine: (line: LogLine) => void): Promise<FollowedLogs> {
    const inbox = createInbox()
    let early: LogLine[] | null = [] // lines that come before the tails: they follow them
    const sub = this.nc.subscribe(inbox, {
      callback: (error, msg) => {
        const line = error ? null : lineOf(jsonOrNull(msg.string()))
        if (!line) return
        if (early) return void early.push(line)
        try {
          onLine(line)
        } catch {
          // The follower's own failure (a closed page, say): never the manager's.
        }
      },
    })
    const request = { services, inbox }
    const tails = await Promise.all(hosts().map((host) => this.#ask(host, { ...request, limit })))
    const renew = setInterval(() => {
      for (const host of hosts()) this.#tell(host, { ...request, limit: 0 })
    }, Math.max(1, Math.floor(this.ttlMs / 3)))
    const tail = [...mergeByTime(tails, limit), ...early]
    early = null
    const stop = () => {
      if (!this.#following.delete(stop)) return
      clearInterval(renew)
      sub.unsubscribe()
      for (const host of hosts()) this.#tell(host, { ...request, limit: 0, stop: true })
    }
    this.#following.add(stop)
    return { tail, stop }
  }

  close(): void {
    for (const stop of [...this.#following]) stop()
    this.#sub.unsubscribe()
    this.#followers.clear()
  }

  #serve(msg: Msg): void {
    let lines: LogLine[] = []
    try {
      const request = JSON.parse(msg.string()) as Partial<LogRequest> | null
      const services = Array.isArray(request?.services) ? request.services.filter((s) => typeof s === 'string').slice(0, 1024) : []
      const limit = Math.min(Math.max(0, Math.floor(Number(request?.limit)) || 0), MAX_REMOTE_LINES)
      const inbox = request?.inbox
      if (typeof inbox === 'string' && INBOX.test(inbox)) {
        if (request?.stop === true) this.#followers.delete(inbox)
        else if (this.#followers.has(inbox) || this.#followers.size < MAX_FOLLOWERS) {
          this.#followers.set(inbox, { services: new Set(services), until: performance.now() + this.ttlMs })
        }
      }
      if (limit > 0) lines = mergeByTime(services.map((s) => this.#known(s, limit)), limit).map((line) => this.#named(line))
    } catch {
      // Not a request this host understands: no lines.
    }
    if (!msg.reply) return
    // What fits in one NATS message: the newest lines.
    const max = this.nc.info?.max_payload ?? 1024 * 1024
    let body = JSON.stringify(lines)
    while (Buffer.byteLength(body) > max && lines.length > 0) body = JSON.stringify((lines = lines.slice(Math.ceil(lines.length / 2))))
    msg.respond(body)
  }

  /** This host's lines of a service, none for one it does not know. */
  #known(service: string, limit: number): LogLine[] {
    try {
      return this.logs(service, limit)
    } catch {
      return []
    }
  }

  #named(line: LogLine): LogLine {
    return { ...line, service: `${line.service}@${this.host}` }
  }

  #ask(host: string, request: LogRequest): Promise<LogLine[]> {
    return this.nc.request(this.#subject(host), JSON.stringify(request), { timeout: 2000 }).then(
      (reply) => {
        const lines = jsonOrNull(reply.string())
        return Array.isArray(lines) ? lines.map(lineOf).filter((l) => l !== null) : []
      },
      () => [],
    )
  }

  #tell(host: string, request: LogRequest): void {
    try {
      this.nc.publish(this.#subject(host), JSON.stringify(request))
    } catch {
      // The connection is closing: the host stops sending a TTL later.
    }
  }

  #subject(host: string): string {
    return `svc.${this.cluster}.logs.${host}`
  }
}

/** A log line from another host, or null for anything that is not one. */
function lineOf(value: unknown): LogLine | null {
  const l = value as Partial<LogLine> | null
  const valid = typeof l?.at === 'number' && typeof l.service === 'string' && typeof l.line === 'string' && (l.stream === 'stdout' || l.stream === 'stderr')
  return valid ? { at: l.at!, service: l.service!, stream: l.stream!, line: l.line! } : null
}
