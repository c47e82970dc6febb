// cluster(DataClientClass, options).delegate(name, kind?).override(name, value).create(...args)

import { ClusterClient, CORE } from './client.js'
import { ClusterClientError, ErrorCodes } from './errors.js'
import { resolveOptions, type ClusterOptions } from './options.js'
import type { DataClientClass, DelegateKind, Listener, MethodMap } from './types.js'

type AnyFn = (...args: any[]) => any
export type NodeCallback<R> = (err: Error | null, value?: R) => void

/** Promise style, plus the same call with a trailing Node callback. */
type PromiseOrCallback<P extends any[], R> = ((...args: P) => Promise<R>) & ((...args: [...P, NodeCallback<R>]) => void)

/** A DataClient method `(...args, cb)` becomes `(...args) => Promise` or `(...args, cb) => void`. */
export type InvokeMethod<F> = F extends (...args: infer P) => infer R
  ? P extends [...infer Head, infer Last]
    ? [Last] extends [((err: any, value: infer V) => any) | undefined]
      ? PromiseOrCallback<Head, Exclude<V, undefined>> // `value?: T` is the usual callback shape
      : PromiseOrCallback<P, Awaited<R>>
    : PromiseOrCallback<P, Awaited<R>>
  : (...args: any[]) => Promise<any>

type InfoOf<F> = F extends (info: infer I, ...rest: any[]) => any ? I : any
type ListenerOf<F> = F extends (info: any, listener: infer L, ...rest: any[]) => any ? L : Listener

export type DelegatedMethod<F, K extends DelegateKind> = K extends 'invoke'
  ? InvokeMethod<F>
  : K extends 'invokeOneway'
    ? F extends (...args: infer P) => any ? (...args: P) => void : (...args: any[]) => void
    : K extends 'subscribe'
      ? (info: InfoOf<F>, listener: ListenerOf<F>) => void
      : K extends 'unSubscribe'
        ? (info: InfoOf<F>, listener?: ListenerOf<F>) => void
        : K extends 'publish'
          ? (info: InfoOf<F>) => void
          : () => Promise<void>

type MemberOf<T, K> = K extends keyof T ? T[K] : AnyFn

/** Names a delegated method may not take: the client's own members, unless the kind matches the name. */
const OWN_KINDS: Record<string, DelegateKind> = { subscribe: 'subscribe', unSubscribe: 'unSubscribe', publish: 'publish', close: 'close' }

export class ClusterClientBuilder<T extends object, A extends any[], D = {}> {
  private readonly delegates = new Map<string, DelegateKind>()
  private readonly overrides = new Map<string, unknown>()

  constructor(
    private readonly DataClient: DataClientClass<T, A>,
    private readonly options: ClusterOptions,
  ) {
    if (typeof DataClient !== 'function') {
      throw new ClusterClientError(ErrorCodes.INVALID_OPTIONS, 'cluster(DataClient, options): DataClient must be a class.')
    }
  }

  /** Adds method `name` to the client, serving it as `kind` (default `invoke`). */
  delegate<K extends string, Kind extends DelegateKind = 'invoke'>(
    name: K,
    kind?: Kind,
  ): ClusterClientBuilder<T, A, D & { [P in K]: DelegatedMethod<MemberOf<T, K>, Kind> }> {
    const k: DelegateKind = kind ?? 'invoke'
    if (!['invoke', 'invokeOneway', 'subscribe', 'unSubscribe', 'publish', 'close'].includes(k)) {
      throw invalid(`delegate("${name}", "${k}"): kind must be invoke, invokeOneway, subscribe, unSubscribe, publish or close.`)
    }
    if (typeof name !== 'string' || name.length === 0 || name === 'constructor') throw invalid(`delegate(${String(name)}): bad method name.`)
    if (name in ClusterClient.prototype && OWN_KINDS[name] !== k) {
      throw invalid(`delegate("${name}", "${k}"): "${name}" is a member of every cluster client; choose another name.`)
    }
    if (k === 'subscribe' || k === 'unSubscribe' || k === 'publish') {
      for (const [other, otherKind] of this.delegates) {
        if (otherKind === k && other !== name) throw invalid(`delegate("${name}", "${k}"): "${other}" already serves ${k}.`)
      }
    }
    this.delegates.set(name, k)
    return this as any
  }

  /** Sets property `name` of every created client to `value`. */
  override<K extends string, V>(name: K, value: V): ClusterClientBuilder<T, A, Omit<D, K> & { [P in K]: V }> {
    if (typeof name !== 'string' || name.length === 0 || name === 'constructor') throw invalid(`override(${String(name)}): bad property name.`)
    this.overrides.set(name, value)
    return this as any
  }

  /** Joins the election; `args` go to the DataClient constructor if this process becomes leader. */
  create(...args: A): ClusterClient & D {
    const options = resolveOptions(this.options, this.DataClient.name)
    const methods = methodMap(this.delegates)
    const DataClient = this.DataClient
    const client = new ClusterClient(options, methods, () => new DataClient(...args))
    const core = client[CORE]
    for (const [name, kind] of this.delegates) {
      if (name === kind) continue // subscribe/unSubscribe/publish/close: the client's own methods already
      Object.defineProperty(client, name, { value: delegatedFn(client, core, name, kind), writable: true, configurable: true })
    }
    for (const [name, value] of this.overrides) {
      Object.defineProperty(client, name, { value, writable: true, configurable: true, enumerable: true })
    }
    return client as ClusterClient & D
  }
}

export function cluster<C extends DataClientClass<any, any[]>>(
  DataClient: C,
  options: ClusterOptions = {},
): ClusterClientBuilder<InstanceType<C>, ConstructorParameters<C>> {
  return new ClusterClientBuilder(DataClient as DataClientClass<InstanceType<C>, ConstructorParameters<C>>, options)
}

function delegatedFn(client: ClusterClient, core: ClusterClient[typeof CORE], name: string, kind: DelegateKind): AnyFn {
  switch (kind) {
    case 'invoke':
      return (...args: unknown[]) => {
        const cb = typeof args[args.length - 1] === 'function' ? (args.pop() as NodeCallback<unknown>) : undefined
        const p = core.invoke(name, args)
        if (!cb) return p
        // Outside the promise chain, so an exception in the callback is the caller's, as with any callback.
        p.then((v) => process.nextTick(cb, null, v), (e) => process.nextTick(cb, e))
        return undefined
      }
    case 'invokeOneway':
      return (...args: unknown[]) => core.invokeOneway(name, args)
    case 'subscribe':
      return (info: unknown, listener: Listener) => client.subscribe(info, listener)
    case 'unSubscribe':
      return (info: unknown, listener?: Listener) => client.unSubscribe(info, listener)
    case 'publish':
      return (info: unknown) => client.publish(info)
    case 'close':
      return () => client.close()
  }
}

function methodMap(delegates: Map<string, DelegateKind>): MethodMap {
  const map = { subscribe: 'subscribe', unSubscribe: 'unSubscribe', publish: 'publish', invokable: new Set<string>() }
  for (const [name, kind] of delegates) {
    if (kind === 'invoke' || kind === 'invokeOneway') map.invokable.add(name)
    else if (kind === 'subscribe' || kind === 'unSubscribe' || kind === 'publish') map[kind] = name
  }
  return map
}

function invalid(message: string): ClusterClientError {
  return new ClusterClientError(ErrorCodes.INVALID_OPTIONS, message)
}
