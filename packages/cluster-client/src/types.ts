// Shapes shared across the package: the user's DataClient, delegation kinds, and the role interface that
// the leader and the follower both implement.

/** What a delegated method becomes: the seed's six kinds. */
export type DelegateKind = 'invoke' | 'invokeOneway' | 'subscribe' | 'unSubscribe' | 'publish' | 'close'

export type Listener<T = any> = (value: T) => void

/**
 * The user's class that holds the real upstream connection; only the leader constructs one.
 * Every member is optional: `ready()` is awaited when present, `close()` called on close, and the
 * methods named by `delegate()` are called by name. Methods may return a value, a promise, or take a
 * trailing Node-style callback (detected by declared arity: `fn.length > args.length`).
 */
export interface DataClient {
  ready?(): unknown
  close?(): unknown
  subscribe?(info: any, listener: Listener): unknown
  unSubscribe?(info: any, listener: Listener): unknown
  publish?(info: any): unknown
}

export type DataClientClass<T extends object = object, A extends any[] = any[]> = new (...args: A) => T

/** Which DataClient method serves each operation at the leader. */
export interface MethodMap {
  subscribe: string
  unSubscribe: string
  publish: string
  /** Methods followers may invoke: only those delegated as invoke / invokeOneway. */
  invokable: ReadonlySet<string>
}

/** Leader and follower, seen from the client core. One subscribe per key; the core fans out to listeners. */
export interface Role {
  readonly kind: 'leader' | 'follower'
  /** Settles when the role can serve: the DataClient is ready (leader), or at once (follower). */
  readonly ready: Promise<void>
  invoke(method: string, args: unknown[], timeoutMs: number): Promise<unknown>
  invokeOneway(method: string, args: unknown[]): void
  subscribe(key: string, info: unknown): void
  unSubscribe(key: string, info: unknown): void
  publish(info: unknown): void
  close(): Promise<void>
}

/** How a role reports back to the client core. */
export interface RoleSink {
  deliver(key: string, value: unknown): void
  /** The role cannot serve any more (the leader connection closed); the core re-runs the election. */
  lost(err: Error): void
}
