// APIClientBase: the seed's layering. A DataClient only talks to the server; an APIClient wraps it with
// cluster-client and adds business logic (caching, validation) that runs in every process.
//
//   |------------------------------------------------|
//   | APIClient                                      |
//   |       |----------------------------------------|
//   |       | ClusterClient                          |
//   |       |      |---------------------------------|
//   |       |      | DataClient                      |
//   |-------|------|---------------------------------|

import { EventEmitter } from 'eventemitter3'
import { cluster } from './builder.js'
import { ClusterClient, CORE } from './client.js'
import type { ClusterOptions } from './options.js'
import type { DataClientClass, DelegateKind } from './types.js'

export interface APIClientOptions {
  /** Merged over the subclass's `clusterOptions` (tests use it for the port). */
  clusterOptions?: ClusterOptions
  [key: string]: unknown
}

export abstract class APIClientBase<C = Record<string, any>> extends EventEmitter {
  protected readonly _client: ClusterClient & C
  protected readonly options: APIClientOptions

  /** `options` is also what the DataClient constructor receives in the leader. */
  constructor(options: APIClientOptions = {}) {
    super()
    this.options = options
    // Getters of the subclass are on its prototype, so they are readable here, before its fields exist.
    const self = this as { readonly DataClient: DataClientClass }
    let builder = cluster(self.DataClient, { ...this.clusterOptions, ...options.clusterOptions })
    for (const [name, kind] of Object.entries(this.delegates)) builder = builder.delegate(name, kind)
    this._client = builder.create(options) as ClusterClient & C
  }

  /** The class holding the real connection. */
  abstract get DataClient(): DataClientClass

  /** Methods of the DataClient to expose on `_client`, and how. */
  get delegates(): Record<string, DelegateKind> {
    return {}
  }

  get clusterOptions(): ClusterOptions {
    return {}
  }

  get isLeader(): boolean {
    return this._client.isLeader
  }

  ready(): Promise<void> {
    return this._client.ready()
  }

  close(): Promise<void> {
    return this._client[CORE].close()
  }
}

/** Closes a client made by `cluster(...).create()` or an APIClientBase, even if its `close` was overridden. */
export function close(client: ClusterClient | APIClientBase<any>): Promise<void> {
  if (client instanceof ClusterClient) return client[CORE].close()
  if (client instanceof APIClientBase) return (client as unknown as { _client: ClusterClient })._client[CORE].close()
  return Promise.reject(new TypeError('close(client): not a cluster client'))
}
