// The child side of a container: boots, says remoteReady, runs the code it is sent, serves requests,
// makes calls and handles events for its service, and reports every state change.

import { debuglog } from 'node:util'
import { serializeError, svcError } from '../errors.js'
import type { ConnectionPort } from '../port/connection-port.js'
import { isTooLarge, tooLargeFor } from '../port/message-size.js'
import {
  MANAGER_TARGET,
  PROTOCOL_VERSION,
  assertNever,
  isHostMessage,
  type HostMessage,
  type IncomingRequestMessage,
  type DirectGrant,
  type RemoteMessage,
  type StartMessage,
} from '../protocol/messages.js'
import type { ServiceSnapshot } from '../protocol/snapshot.js'
import { isServiceDefinition, type CallOptions, type ServiceContext } from './context.js'
import { attemptsFor, withRetries } from './retry.js'
import { listenShared } from './listen.js'
import { DirectCalls } from './direct-calls.js'
import type { DirectServer } from './direct-server.js'
import type { ServiceNats } from '../cluster/service-nats.js'
import { createLogger, processSink, type LogSink } from './logger.js'
import { DEFAULT_CALL_TIMEOUT_MS, OutgoingCalls } from './outgoing-calls.js'
import { Subscriptions } from './subscriptions.js'
import { serveTraced } from './tracing.js'

const trace = debuglog('svc:remote')

export interface RemoteServiceOptions {
  port: ConnectionPort<HostMessage, RemoteMessage>
  /** Imports a service module (jiti in a child process; a lookup table in memory tests). */
  load(entry: string): Promise<unknown>
  /** Ends the container once the service is closed. */
  exit(code: number): void
  pid?: number
  env?: Record<string, string | undefined>
  log?: LogSink
}

type Phase = 'booting' | 'starting' | 'running' | 'closing' | 'closed'

export class RemoteService {
  #phase: Phase = 'booting'
  #name = '?'
  #api: Record<string, unknown> | null = null
  #calls: OutgoingCalls
  #direct: DirectCalls | null = null
  #directServer: DirectServer | null = null
  #nats: ServiceNats | null = null
  #subscriptions: Subscriptions
  readonly #closeHooks: (() => unknown)[] = []
  readonly #abort = new AbortController()
  readonly #port: RemoteServiceOptions['port']

  constructor(private readonly options: RemoteServiceOptions) {
    this.#port = options.port
    const send = (m: RemoteMessage) => this.#port.send(m)
    this.#calls = new OutgoingCalls('?', send)
    this.#subscriptions = new Subscriptions(send, (error) => this.reportException('uncaughtException', error))
    this.#port.on('message', (m) => this.#onMessage(m))
    this.#port.on('close', () => void this.close('channel to the manager closed', 1))
  }

  /** Tells the host this container has booted and waits for its code. */
  ready(): void {
    this.#port.send({ type: 'remoteReady', protocol: PROTOCOL_VERSION, pid: this.options.pid ?? process.pid })
  }

  /** False when the channel is gone: then nobody else will show the error. */
  reportException(kind: 'uncaughtException' | 'unhandledRejection', error: unknown): boolean {
    return this.#port.send({ type: 'exception', kind, error: serializeError(error) })
  }

  #onMessage(message: HostMessage): void {
    if (!isHostMessage(message)) {
      trace('ignored malformed message %o', message)
      return
    }
    switch (message.type) {
      case 'start':
        void this.#start(message)
        return
      case 'close':
        void this.close(message.reason, 0)
        return
      case 'request':
        void this.#serve(message)
        return
      case 'response':
        this.#calls.settle(message)
        return
      case 'event':
        this.#subscriptions.dispatch(message.from, message.event, message.payload)
        return
      default:
        assertNever(message)
    }
  }

  async #start(message: StartMessage): Promise<void> {
    if (this.#phase !== 'booting') return
    this.#phase = 'starting'
    this.#name = message.name
    const send = (m: RemoteMessage) => this.#port.send(m)
    this.#calls = new OutgoingCalls(message.name, send)
    this.#direct = new DirectCalls(
      message.name,
      (target) => this.#calls.call(MANAGER_TARGET, 'directChannel', [target]) as Promise<DirectGrant[] | null>,
      (to, method, args, timeoutMs) => this.#calls.call(to, method, args, timeoutMs),
    )
    this.#port.send({ type: 'state', state: 'starting' })
    try {
      const loaded = await this.options.load(message.entry)
      const definition = isServiceDefinition(loaded) ? loaded : (loaded as { default?: unknown } | null)?.default
      if (!isServiceDefinition(definition)) {
        throw svcError(
          'SVC_ERR_NOT_A_SERVICE',
          `Service "${message.name}": ${message.entry} does not export a service. Make its default export defineService(async (ctx) => { ... }).`,
          { service: message.name },
        )
      }
      const api = await definition.factory(this.#context(message))
      if (this.#phase !== 'starting') return // closed while the factory ran
      this.#api = (api ?? {}) as Record<string, unknown>
      const direct = message.direct ? await this.#serveDirect(message.name, message.direct) : null
      if (message.nats) await this.#joinNats(message.name, message.nats, Boolean(message.direct))
      if (this.#phase !== 'starting') return // closed while it began to listen
      this.#phase = 'running'
      trace('%s running', message.name)
      this.#port.send(direct ? { type: 'state', state: 'running', direct } : { type: 'state', state: 'running' })
    } catch (error) {
      if (this.#phase !== 'starting') return
      trace('%s failed to start: %o', message.name, error)
      this.#port.send({ type: 'state', state: 'closed', error: serializeError(error) })
      void this.close('start failed', 1)
    }
  }

  // Listening is an optimisation: if it fails, the service runs anyway and every call is relayed.
  async #serveDirect(name: string, direct: NonNullable<StartMessage['direct']>): Promise<string | null> {
    try {
      // Loaded here, not at boot: it brings node:crypto, which costs every service process ≈2 ms to load.
      const { DirectServer } = await import('./direct-server.js')
      this.#directServer = await DirectServer.listen(direct.path, direct.key, name, (from, method, args, trace) =>
        this.#invoke({ type: 'request', id: 0, from, method, args, trace }),
      )
      return direct.path
    } catch (error) {
      ;(this.options.log ?? processSink).err(`[warn] "${name}" cannot serve direct calls (${(error as Error).message}); they are relayed.`)
      return null
    }
  }

  // Its own NATS user: calls to services on other hosts skip the managers (and, direct, it serves them). Also an
  // optimisation: if NATS cannot be reached (a connect is bounded), the service runs anyway, its calls are relayed,
  // and callers sent to its subject find nobody there and relay theirs.
  async #joinNats(name: string, nats: NonNullable<StartMessage['nats']>, serve: boolean): Promise<void> {
    try {
      const { ServiceNats } = await import('../cluster/service-nats.js')
      const joined = await ServiceNats.connect(name, nats)
      if (this.#phase !== 'starting' && this.#phase !== 'running') return void (await joined.close()) // closed meanwhile
      this.#nats = joined
      if (serve) await joined.serve((from, method, args, trace) => this.#invoke({ type: 'request', id: 0, from, method, args, trace }))
      this.#direct!.nats = joined
    } catch (error) {
      ;(this.options.log ?? processSink).err(`[warn] "${name}" cannot use its NATS user (${(error as Error).message}); its calls across hosts are relayed.`)
    }
  }

  async #serve(message: IncomingRequestMessage): Promise<void> {
    let reply: RemoteMessage
    try {
      const value = await this.#invoke(message)
      reply = { type: 'response', id: message.id, ok: true, value }
    } catch (error) {
      reply = { type: 'response', id: message.id, ok: false, error: serializeError(error) }
    }
    try {
      this.#port.send(reply)
    } catch (cause) {
      // The caller's call fails with why; this service carries on.
      const error = isTooLarge(cause)
        ? tooLargeFor(this.#name, `the result of ${message.method}`, cause)
        : svcError(
            'SVC_ERR_NOT_SERIALIZABLE',
            `Service "${this.#name}": the result of ${message.method} cannot be sent (${(cause as Error).message}). Return JSON-serialisable values.`,
            { service: this.#name },
          )
      this.#port.send({ type: 'response', id: message.id, ok: false, error: serializeError(error) })
    }
  }

  #invoke(message: IncomingRequestMessage): Promise<unknown> {
    return serveTraced(this.#name, message.method, message.from, message.trace, () => this.#call(message))
  }

  async #call(message: IncomingRequestMessage): Promise<unknown> {
    const api = this.#api
    if (!api) {
      throw svcError('SVC_ERR_SERVICE_NOT_RUNNING', `Service "${this.#name}" is not running; ${message.method} was not called.`, { service: this.#name })
    }
    const fn = message.method in Object.prototype ? undefined : api[message.method]
    if (typeof fn !== 'function') {
      throw svcError(
        'SVC_ERR_UNKNOWN_METHOD',
        `Service "${this.#name}" has no method "${message.method}". It offers: ${Object.keys(api).filter((k) => typeof api[k] === 'function').join(', ') || '(nothing)'}.`,
        { service: this.#name, details: { method: message.method, caller: message.from } },
      )
    }
    return await fn.apply(api, message.args)
  }

  /** Runs close hooks (last registered first), reports closed, then ends the container. Idempotent. */
  async close(reason: string, exitCode: number): Promise<void> {
    if (this.#phase === 'closing' || this.#phase === 'closed') return
    const wasStarted = this.#phase !== 'booting'
    this.#phase = 'closing'
    trace('%s closing: %s', this.#name, reason)
    if (wasStarted) this.#port.send({ type: 'state', state: 'closing' })
    this.#abort.abort(reason)
    // Direct callers finish their calls here and send the next ones elsewhere, before the service's own close hooks
    // take down what those calls use.
    await Promise.all([this.#directServer?.drain(), this.#nats?.drain()])
    for (const hook of this.#closeHooks.reverse()) {
      try {
        await hook()
      } catch (error) {
        this.reportException('uncaughtException', error)
        exitCode = exitCode || 1
      }
    }
    this.#calls.failAll(reason)
    this.#direct?.close(reason)
    await Promise.all([this.#directServer?.close(), this.#nats?.close()])
    this.#api = null
    this.#phase = 'closed'
    if (wasStarted) this.#port.send({ type: 'state', state: 'closed' })
    this.options.exit(exitCode)
  }

  #context(start: StartMessage): ServiceContext {
    const env = this.options.env ?? process.env
    const allowed = new Set(start.calls)
    const self = start.name
    // Calls by name are checked (and refusals audited) by the manager, from the channel's identity: that is the
    // boundary. A typed proxy or a subscription for an undeclared service is refused here too, at once: the mistake
    // shows where it is made (the manager drops a refused subscription without an answer).
    const checkAccess = (service: string) => {
      if (!allowed.has(service)) {
        throw svcError(
          'SVC_ERR_ACCESS_DENIED',
          `Service "${self}" may not use "${service}": it is not in its dependsOn (or permissions.calls). Declare the dependency in the manifest.`,
          { service: self, details: { target: service } },
        )
      }
    }
    const once = (service: string, method: string, args: unknown[], timeoutMs?: number) =>
      (allowed.has(service) ? this.#direct?.call(service, method, args, timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS) : null) ??
      this.#calls.call(service, method, args, timeoutMs)
    const call = (service: string, method: string, args: unknown[], options?: CallOptions) => {
      const retries = attemptsFor(start.retry, service, method, options?.retry)
      return retries > 0 ? withRetries(retries, () => once(service, method, args, options?.timeoutMs), this.#abort.signal) : once(service, method, args, options?.timeoutMs)
    }
    return {
      name: self,
      config: start.config,
      env,
      log: createLogger(this.options.log ?? processSink, Boolean(env.SVC_DEBUG)),
      signal: this.#abort.signal,
      service: (service, options) => {
        checkAccess(service)
        return new Proxy({} as never, {
          get: (_, method) =>
            typeof method === 'string' && method !== 'then'
              ? (...args: unknown[]) => call(service, method, args, options)
              : undefined,
        })
      },
      call: (service, method, args, options) => call(service, method, args, options),
      emit: (event, payload) => {
        try {
          this.#port.send({ type: 'emit', event, payload })
        } catch (cause) {
          throw isTooLarge(cause) ? tooLargeFor(self, `the payload of event "${event}"`, cause) : cause
        }
      },
      on: (service, event, handler) => {
        checkAccess(service)
        return this.#subscriptions.on(service, event, handler)
      },
      onClose: (fn) => {
        this.#closeHooks.push(fn)
      },
      services: () => call(MANAGER_TARGET, 'services', []) as Promise<ServiceSnapshot[]>,
      spawnChild: async (name, options) => {
        await call(MANAGER_TARGET, 'spawnChild', [name, options])
      },
      listen: (server) => listenShared(self, server, env),
    }
  }
}
