// The leader: owns the one DataClient (the real upstream connection), serves its own process directly and
// its followers over their connections. Subscriptions are deduplicated here: one upstream subscribe per key,
// whoever asks; the latest value of each key is kept for late subscribers.

import { setMaxListeners } from 'node:events'
import { ClusterClientError, ErrorCodes, invokeTimeoutError, leaderLostError } from './errors.js'
import { callMethod, isThenable, withTimeout } from './invoke.js'
import type { ResolvedOptions } from './options.js'
import { trace } from './options.js'
import type { ChannelLeader, PortServer } from './port-server.js'
import type { Connection } from './protocol/connection.js'
import type { Packet } from './protocol/packet.js'
import type { DataClient, MethodMap, Role, RoleSink } from './types.js'

interface Topic {
  key: string
  info: unknown
  /** This process subscribes too. */
  local: boolean
  followers: Set<Connection>
  /** The one listener handed upstream for this key. */
  listener: (value: unknown) => void
  hasLatest: boolean
  latest: unknown
}

export interface LeaderConfig {
  options: ResolvedOptions
  server: PortServer
  methods: MethodMap
  createDataClient: () => object
  sink: RoleSink
}

export class Leader implements Role, ChannelLeader {
  readonly kind = 'leader' as const
  readonly ready: Promise<void>
  private dataClient: (DataClient & object) | undefined
  private isReady = false
  private closing = false
  private closePromise: Promise<void> | undefined
  /** Aborted on close: in-flight calls end with a retryable LEADER_LOST instead of lingering. */
  private readonly closed = new AbortController()
  private readonly topics = new Map<string, Topic>()
  private readonly followers = new Set<Connection>()
  private readonly name: string

  constructor(private readonly cfg: LeaderConfig) {
    this.name = cfg.options.name
    setMaxListeners(0, this.closed.signal) // one listener per in-flight call is expected, not a leak
    this.ready = this.start()
    this.ready.catch(() => {}) // the core awaits it; this keeps a failure from also being "unhandled"
  }

  get followerCount(): number {
    return this.followers.size
  }

  private async start(): Promise<void> {
    try {
      const client = this.cfg.createDataClient() as DataClient & object
      this.dataClient = client
      if (typeof client.ready === 'function') {
        const r = client.ready()
        if (isThenable(r)) await r
      }
    } catch (err) {
      throw new ClusterClientError(
        ErrorCodes.DATA_CLIENT_FAILED,
        `The DataClient of cluster client "${this.name}" failed to start in the leader (pid ${process.pid}): ${(err as Error)?.message ?? String(err)}`,
        { name: this.name, cause: err },
      )
    }
    this.isReady = true
    trace('"%s" leader pid %d: DataClient ready', this.name, process.pid)
  }

  invoke(method: string, args: unknown[], timeoutMs: number): Promise<unknown> {
    if (this.closing) return Promise.reject(leaderLostError(this.name, method))
    if (!this.cfg.methods.invokable.has(method)) return Promise.reject(this.noMethod(method))
    const call = this.isReady
      ? callMethod(this.dataClient!, method, args, this.name)
      : this.ready.then(() => callMethod(this.dataClient!, method, args, this.name))
    return withTimeout(call, timeoutMs, () => invokeTimeoutError(this.name, method, timeoutMs), {
      signal: this.closed.signal,
      error: () => leaderLostError(this.name, method),
    })
  }

  invokeOneway(method: string, args: unknown[]): void {
    this.invoke(method, args, 0).catch((err) => this.cfg.options.logger.error(`invokeOneway "${method}" failed: ${(err as Error).message}`))
  }

  subscribe(key: string, info: unknown): void {
    const topic = this.topic(key, info)
    if (topic.local) return
    topic.local = true
    if (topic.hasLatest) {
      const value = topic.latest
      queueMicrotask(() => topic.local && this.cfg.sink.deliver(key, value))
    }
  }

  unSubscribe(key: string): void {
    const topic = this.topics.get(key)
    if (!topic) return
    topic.local = false
    this.dropIfUnused(topic)
  }

  publish(info: unknown): void {
    this.whenReady(() => this.upstream('publish', [info]))
  }

  /** A follower registered on our channel. */
  attach(conn: Connection): void {
    if (this.closing) {
      conn.destroy()
      return
    }
    this.followers.add(conn)
    trace('"%s" leader pid %d: follower %s attached (%d)', this.name, process.pid, conn.remote, this.followers.size)
    conn.on('request', (p) => this.onRequest(conn, p))
    conn.on('close', () => {
      this.followers.delete(conn)
      for (const topic of [...this.topics.values()]) {
        if (topic.followers.delete(conn)) this.dropIfUnused(topic)
      }
    })
  }

  close(): Promise<void> {
    this.closePromise ??= this.doClose()
    return this.closePromise
  }

  private async doClose(): Promise<void> {
    this.closing = true
    this.closed.abort()
    // Close upstream before letting the port go, so a successor never overlaps with our connection.
    await this.ready.catch(() => {})
    const client = this.dataClient
    if (client && typeof client.close === 'function') {
      try {
        const r = client.close()
        if (isThenable(r)) await r
      } catch (err) {
        this.cfg.options.logger.error(`DataClient close failed: ${(err as Error).message}`)
      }
    }
    this.topics.clear()
    for (const conn of this.followers) conn.destroy()
    await this.cfg.server.releaseChannel(this.name)
  }

  private onRequest(conn: Connection, p: Packet): void {
    const c = p.conn
    switch (c.type) {
      case 'subscribe': {
        const key = this.cfg.options.formatKey(p.app)
        const topic = this.topic(key, p.app)
        topic.followers.add(conn)
        if (topic.hasLatest) this.push(conn, key, topic.latest)
        return
      }
      case 'unSubscribe': {
        const topic = this.topics.get(this.cfg.options.formatKey(p.app))
        if (topic?.followers.delete(conn)) this.dropIfUnused(topic)
        return
      }
      case 'publish':
        this.publish(p.app)
        return
      case 'invoke': {
        const args = Array.isArray(p.app) ? p.app : []
        if (c.oneway) {
          this.invokeOneway(c.method, args)
          return
        }
        this.invoke(c.method, args, p.timeout).then(
          (value) => this.answer(conn, p, true, value, c.method),
          (err) => this.answer(conn, p, false, err, c.method),
        )
        return
      }
      case 'handshake':
      case 'handshake_res':
      case 'register_channel':
      case 'register_channel_res':
      case 'subscribe_result':
      case 'invoke_result':
        this.cfg.options.logger.error(`closing follower connection ${conn.remote}: unexpected "${c.type}" request`)
        conn.destroy()
        return
      default: {
        const never: never = c
        throw new Error(`unhandled message ${JSON.stringify(never)}`)
      }
    }
  }

  private answer(conn: Connection, p: Packet, ok: boolean, value: unknown, method: string): void {
    try {
      conn.respond(p, { type: 'invoke_result', ok }, value)
    } catch (err) {
      // The result could not be encoded (too large, say): the caller gets that error instead of a hang.
      conn.respond(p, { type: 'invoke_result', ok: false }, err)
      this.cfg.options.logger.error(`invoke "${method}": answer not sent: ${(err as Error).message}`)
    }
  }

  private push(conn: Connection, key: string, value: unknown): void {
    try {
      conn.send({ type: 'subscribe_result', key }, value)
    } catch (err) {
      this.cfg.options.logger.error(`subscription "${key}": value not pushed to ${conn.remote}: ${(err as Error).message}`)
    }
  }

  private topic(key: string, info: unknown): Topic {
    const existing = this.topics.get(key)
    if (existing) return existing
    const t: Topic = {
      key,
      info,
      local: false,
      followers: new Set(),
      hasLatest: false,
      latest: undefined,
      listener: (value) => {
        if (this.topics.get(key) !== t) return // unsubscribed meanwhile
        t.latest = value
        t.hasLatest = true
        if (t.local) this.cfg.sink.deliver(key, value)
        for (const conn of t.followers) this.push(conn, key, value)
      },
    }
    this.topics.set(key, t)
    trace('"%s" leader pid %d: upstream subscribe %s', this.name, process.pid, key)
    this.whenReady(() => this.upstream('subscribe', [info, t.listener]))
    return t
  }

  private dropIfUnused(topic: Topic): void {
    if (topic.local || topic.followers.size > 0 || this.topics.get(topic.key) !== topic) return
    this.topics.delete(topic.key)
    const name = this.cfg.methods.unSubscribe
    this.whenReady(() => {
      if (typeof (this.dataClient as Record<string, unknown>)[name] === 'function') this.upstream('unSubscribe', [topic.info, topic.listener])
    })
  }

  /** Calls the DataClient method serving `op`; failures are logged, as there is no caller to tell. */
  private upstream(op: 'subscribe' | 'unSubscribe' | 'publish', args: unknown[]): void {
    if (this.closing) return
    const method = this.cfg.methods[op]
    if (typeof (this.dataClient as Record<string, unknown>)[method] !== 'function') {
      const err = new ClusterClientError(
        ErrorCodes.NOT_SUPPORTED,
        `The DataClient of cluster client "${this.name}" has no "${method}" method, needed for ${op}.`,
        { name: this.name, method },
      )
      this.cfg.options.logger.error(err.message)
      return
    }
    try {
      const r = (this.dataClient as Record<string, (...a: unknown[]) => unknown>)[method]!(...args)
      if (isThenable(r)) r.then(undefined, (err) => this.cfg.options.logger.error(`${op} failed: ${(err as Error)?.message}`))
    } catch (err) {
      this.cfg.options.logger.error(`${op} failed: ${(err as Error)?.message}`)
    }
  }

  private whenReady(fn: () => void): void {
    if (this.isReady) fn()
    else this.ready.then(fn, () => {})
  }

  private noMethod(method: string): ClusterClientError {
    return new ClusterClientError(
      ErrorCodes.NO_METHOD,
      `"${method}" is not a method of cluster client "${this.name}" delegated as invoke or invokeOneway.`,
      { name: this.name, method },
    )
  }
}
