// What `create()` returns: the same object shape in the leader and in every follower. Delegated methods are
// added as own properties by the builder; the state lives in ClusterCore.

import { EventEmitter } from 'eventemitter3'
import { ClusterCore, type ClusterClientEvents, type ClusterState } from './core.js'
import type { ResolvedOptions } from './options.js'
import type { Listener, MethodMap } from './types.js'

export const CORE = Symbol.for('services-cluster.cluster-client.core')

export class ClusterClient extends EventEmitter<ClusterClientEvents> {
  /** @internal */
  readonly [CORE]: ClusterCore

  /** @internal Use `cluster(DataClient, options)...create()`. */
  constructor(options: ResolvedOptions, methods: MethodMap, createDataClient: () => object) {
    super()
    this[CORE] = new ClusterCore(options, methods, createDataClient, this)
  }

  /** The channel name every process of this client shares. */
  get clusterName(): string {
    return this[CORE].options.name
  }

  get port(): number {
    return this[CORE].options.port
  }

  get state(): ClusterState {
    return this[CORE].state
  }

  get isLeader(): boolean {
    return this[CORE].state === 'leader'
  }

  /** Resolves once elected (leader with a ready DataClient, or registered follower); rejects if that failed. */
  ready(): Promise<void> {
    return this[CORE].ready()
  }

  /** Listens to `info`; a late subscriber gets the latest value at once. Deduplicated per process and at the leader. */
  subscribe(info: unknown, listener: Listener): this {
    this[CORE].subscribe(info, listener)
    return this
  }

  /** Removes `listener`, or every listener of `info` when omitted. */
  unSubscribe(info: unknown, listener?: Listener): this {
    this[CORE].unSubscribe(info, listener)
    return this
  }

  publish(info: unknown): this {
    this[CORE].publish(info)
    return this
  }

  /** Closes this process's side: the leader closes its DataClient and lets the port go. Idempotent. */
  close(): Promise<void> {
    return this[CORE].close()
  }
}

export type { ClusterClientEvents, ClusterState }
