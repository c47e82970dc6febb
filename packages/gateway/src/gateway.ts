// The engine: HTTP server + optional Redis channel over a Backend. Knows nothing about the framework.
// Lifecycle: idle → starting → running → stopping → stopped; stop() is idempotent and also ends a failed start.

import { createServer, type Server } from 'node:http'
import { Server as NetServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { hostname } from 'node:os'
import { debuglog } from 'node:util'
import { defaultLogger, type Backend, type GatewayLogger } from './backend.js'
import { resolveConfig, type GatewayConfig, type ResolvedConfig } from './config.js'
import { listenError, stateError } from './errors.js'
import { createHttpHandler, type HealthReport } from './http/handler.js'
import { Dispatcher } from './jsonrpc/dispatcher.js'
import { renderMetrics } from './metrics/render.js'
import { RequestMetrics, type MethodStats } from './metrics/request-metrics.js'
import { RedisRpcChannel, type RedisChannelStats } from './redis/channel.js'

const debug = debuglog('svc:gateway')

export type GatewayState = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped'

export interface GatewayOptions {
  backend: Backend
  config: GatewayConfig
  log?: GatewayLogger
  /** Where REDIS_URL is read from when `redis.url` is not given. Default process.env. */
  env?: Readonly<Record<string, string | undefined>>
  /** How long stop() lets in-flight HTTP requests finish before cutting connections. Default 5000 ms. */
  stopGraceMs?: number
  /** Makes the HTTP server listen on a socket someone else holds (the service adapter passes ctx.listen when the
   * manifest gives the gateway `listen`); config.port and config.host are then not used. Default: bind them. */
  listen?: (server: Server) => Promise<void>
  /** Which process of several this is (the service adapter passes SVC_INSTANCE): every HTTP response carries it as
   * `x-svc-instance`, /healthz as `instance`, /metrics as the `svc_instance` label of the gateway's own series, and
   * it names the claimant of Redis requests. Default: none (a single gateway). */
  instance?: string
}

export interface GatewayAddress {
  host: string
  port: number
}

export interface GatewayStats {
  state: GatewayState
  url: string | null
  methods: Record<string, MethodStats>
  rejections: Record<string, number>
  redis: RedisChannelStats | null
  /** The process that answered (options.instance), null for a single gateway. Every figure here is this process's. */
  instance: string | null
}

export class Gateway {
  readonly config: ResolvedConfig
  readonly #backend: Backend
  readonly #log: GatewayLogger
  readonly #metrics = new RequestMetrics()
  readonly #dispatcher: Dispatcher
  readonly #server: Server
  readonly #redis: RedisRpcChannel | undefined
  readonly #stopGraceMs: number
  readonly #listen: ((server: Server) => Promise<void>) | undefined
  readonly #instance: string | undefined
  #state: GatewayState = 'idle'
  #address: GatewayAddress | undefined
  #stopping: Promise<void> | undefined

  // Validates config synchronously: a bad manifest fails before anything listens.
  constructor(options: GatewayOptions) {
    this.config = resolveConfig(options.config, options.env)
    this.#backend = options.backend
    this.#log = options.log ?? defaultLogger
    this.#stopGraceMs = options.stopGraceMs ?? 5000
    this.#listen = options.listen
    this.#instance = options.instance
    this.#dispatcher = new Dispatcher(this.#backend, this.config, this.#metrics, this.#log)
    const handler = createHttpHandler({
        dispatcher: this.#dispatcher,
        metrics: this.#metrics,
        token: this.config.token,
        bodyLimit: this.config.bodyLimit,
        health: () => this.#health(),
        metricsText: () => this.#metricsText(),
        log: this.#log,
        instance: this.#instance,
      })
    // While it stops, each answer closes its connection: a keep-alive client sends its next request on a new one —
    // to another process of the service on a shared port — instead of on a socket about to be cut.
    this.#server = createServer((req, res) => {
      if (this.#state === 'stopping') res.setHeader('connection', 'close')
      return handler(req, res)
    })
    const redis = this.config.redis
    const claimant = `${hostname()}/${process.pid}${this.#instance === undefined ? '' : `#${this.#instance}`}`
    this.#redis = redis && new RedisRpcChannel(redis, (m, p) => this.#dispatcher.invoke(m, p, 'redis'), this.#log, this.config.bodyLimit, { claimant })
  }

  get state(): GatewayState {
    return this.#state
  }

  async start(): Promise<GatewayAddress> {
    if (this.#state !== 'idle') throw stateError('start', this.#state)
    this.#state = 'starting'
    const { host, port } = this.config
    try {
      if (this.#listen) await this.#listen(this.#server)
      else await new Promise<void>((resolve, reject) => {
        this.#server.once('error', reject)
        this.#server.listen(port, host, () => {
          this.#server.off('error', reject)
          resolve()
        })
      })
    } catch (err) {
      this.#state = 'stopped'
      throw this.#listen ? err : listenError(host, port, err) // the holder of the socket says what went wrong
    }
    this.#server.on('error', (err) => this.#log.error('gateway HTTP server error:', err))
    const addr = this.#server.address() as AddressInfo
    this.#address = { host: addr.address, port: addr.port }
    this.#redis?.start()
    this.#state = 'running'
    debug('gateway running on %s', this.url)
    return this.#address
  }

  address(): GatewayAddress {
    if (!this.#address || this.#state !== 'running') throw stateError('read the address of', this.#state)
    return { ...this.#address }
  }

  get url(): string | null {
    if (!this.#address) return null
    const host = this.#address.host.includes(':') ? `[${this.#address.host}]` : this.#address.host
    return `http://${host}:${this.#address.port}`
  }

  /** Present when `redis` is configured: its `connected` flag and `up`/`down` events. */
  get redis(): RedisRpcChannel | undefined {
    return this.#redis
  }

  stats(): GatewayStats {
    return {
      state: this.#state,
      url: this.url,
      methods: this.#metrics.byMethod(),
      rejections: Object.fromEntries(this.#metrics.rejections()),
      redis: this.#redis?.stats() ?? null,
      instance: this.#instance ?? null,
    }
  }

  async #health(): Promise<HealthReport> {
    const redis = this.#redis ? (this.#redis.connected ? 'connected' : 'disconnected') : 'disabled'
    try {
      const services = await this.#backend.services()
      const healthy = services.every((s) => s.state === 'running')
      return {
        healthy,
        body: {
          status: !healthy ? 'unhealthy' : redis === 'disconnected' ? 'degraded' : 'ok',
          ...(this.#instance === undefined ? {} : { instance: this.#instance }),
          redis,
          services: services.map((s) => ({ name: s.name, state: s.state, display: s.display, pid: s.pid, restarts: s.restarts })),
        },
      }
    } catch (err) {
      return { healthy: false, body: { status: 'unknown', ...(this.#instance === undefined ? {} : { instance: this.#instance }), redis, error: `could not read the service graph: ${(err as Error)?.message ?? err}` } }
    }
  }

  async #metricsText(): Promise<string> {
    const services = await this.#backend.services().catch((err: unknown) => {
      debug('services() failed during a scrape: %o', err)
      return undefined
    })
    const redis = this.#redis?.stats()
    return renderMetrics({
      requests: this.#metrics,
      services,
      redisConnected: redis?.connected,
      redisClaims: redis && { duplicates: redis.duplicates, unclaimed: redis.unclaimed },
      instance: this.#instance,
    })
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#stop()
    return this.#stopping
  }

  async #stop(): Promise<void> {
    if (this.#state === 'idle') {
      this.#state = 'stopped'
      return
    }
    this.#state = 'stopping'
    // net's close, not http's: http.Server#close (Node ≥ 19) also closes idle keep-alive connections at once, and a
    // client sending on one at that moment gets a reset; net's only stops accepting, and calls back once every
    // connection has ended as below.
    const closed = this.#server.listening
      ? new Promise<void>((resolve) => NetServer.prototype.close.call(this.#server, () => resolve()))
      : Promise.resolve()
    // Idle keep-alive connections are closed after a moment, not at once: a client may be sending on one right now, and
    // would get a reset instead of an answer (with `connection: close`). Busy ones close after their answer.
    const idle = setTimeout(() => this.#server.closeIdleConnections(), Math.min(IDLE_CLOSE_MS, this.#stopGraceMs))
    idle.unref()
    const grace = setTimeout(() => this.#server.closeAllConnections(), this.#stopGraceMs)
    grace.unref()
    await Promise.all([closed, this.#redis?.stop()])
    clearTimeout(idle)
    clearTimeout(grace)
    this.#state = 'stopped'
  }
}

/** How long idle keep-alive connections stay open once the gateway stops (see #stop). */
const IDLE_CLOSE_MS = 1000

export const createGateway = (options: GatewayOptions): Gateway => new Gateway(options)
