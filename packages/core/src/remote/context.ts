// The API a service module sees. Everything here is implemented by the child-side runtime
// (remote/remote-service.ts); host code never imports this at run time.

import type { ServiceSnapshot } from '../protocol/snapshot.js'
import type { ListenableServer } from './listen.js'

/** Turns a service's API object into what callers get: every method returns a promise. */
export type ServiceProxy<Api> = {
  readonly [K in keyof Api as Api[K] extends (...args: any[]) => any ? K : never]: Api[K] extends (
    ...args: infer A
  ) => infer R
    ? (...args: A) => Promise<Awaited<R>>
    : never
}

/** What `ctx.service<typeof Dep>('dep')` accepts: a `defineService(...)` result, or an API object type. */
export type ApiOf<T> = T extends ServiceDefinition<infer Api, any> ? Api : T

export interface ServiceLogger {
  debug(...args: unknown[]): void
  info(...args: unknown[]): void
  warn(...args: unknown[]): void
  error(...args: unknown[]): void
}

export interface CallOptions {
  /** Reject with SVC_ERR_CALL_TIMEOUT after this long (each attempt). Default 30 000 ms. */
  timeoutMs?: number
  /**
   * Try again, up to this many more times, when the instance the call went to ended before answering
   * (SVC_ERR_SERVICE_CLOSED) or none ran at that moment (SVC_ERR_SERVICE_NOT_RUNNING): another instance, or the
   * restarted one, gets it. Only for idempotent methods. Default: the manifest's `retry` for that dependency, else 0.
   */
  retry?: number
}

export interface ChildServiceOptions {
  entry: string
  config?: unknown
  env?: Record<string, string>
}

export interface ServiceContext<Config = unknown> {
  /** This service's name in the manifest. */
  readonly name: string
  /** `config` from the manifest, as given (JSON). */
  readonly config: Config
  /** The environment the process runs with (the manifest's `env` merged over the manager's). */
  readonly env: Readonly<Record<string, string | undefined>>
  /** Lines go to this service's stdout/stderr, which the manager captures. */
  readonly log: ServiceLogger
  /** Aborts when the service is asked to close. */
  readonly signal: AbortSignal
  /** A typed proxy to a service this one declared in `dependsOn`. */
  service<T>(name: string, options?: CallOptions): ServiceProxy<ApiOf<T>>
  /** Calls by name when the method is only known at run time (gateways, schedulers). */
  call(service: string, method: string, args: unknown[], options?: CallOptions): Promise<unknown>
  /** Publishes an event to every service that subscribed to this one's `event`. */
  emit(event: string, payload?: unknown): void
  /** Subscribes to `event` from a declared dependency; returns the unsubscribe function. */
  on(service: string, event: string, handler: (payload: unknown) => void): () => void
  /** Runs on close, in reverse order of registration, before the process exits. */
  onClose(fn: () => void | Promise<void>): void
  /** A read-only snapshot of this service and those it may call (state, restarts, usage; no pids or socket paths). */
  services(): Promise<ServiceSnapshot[]>
  /** Starts a child service that depends on this one and closes before it. Needs `permissions.childServices`. */
  spawnChild(name: string, options: ChildServiceOptions): Promise<void>
  /**
   * Serves the TCP port of this service's `listen` field: `server.listen({ fd: 4 })`, the socket the manager holds
   * and shares with every process of the service. Resolves once the server listens; rejects with SVC_ERR_NO_LISTEN
   * when the manifest gave no `listen`. Any net.Server works (fastify: `ctx.listen(app.server)`).
   */
  listen(server: ListenableServer): Promise<void>
}

export type ServiceFactory<Api extends object, Config> = (ctx: ServiceContext<Config>) => Promise<Api> | Api

const DEFINITION = Symbol.for('services-cluster.service-definition')

export interface ServiceDefinition<Api extends object = object, Config = unknown> {
  readonly [DEFINITION]: true
  readonly factory: ServiceFactory<Api, Config>
  /** Phantom field carrying the API type for `import type` users; never set at run time. */
  readonly __api?: Api
}

/** The default export of a service module. The factory runs on start; what it resolves is the callable API. */
export function defineService<Api extends object, Config = any>(
  factory: ServiceFactory<Api, Config>,
): ServiceDefinition<Api, Config> {
  return { [DEFINITION]: true, factory }
}

export function isServiceDefinition(value: unknown): value is ServiceDefinition {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[DEFINITION] === true
}
