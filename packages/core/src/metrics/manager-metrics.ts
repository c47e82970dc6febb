// Metrics as the manager holds them: on or off for the whole run (the router's per-call accounting only exists when
// on), built on the first scrape, and served over HTTP from start() to close when an address is given.

import { svcError, type ServiceError } from '../errors.js'
import { CallMeters } from '../manager/call-meters.js'
import { GraphMetrics, type MetricsSource } from './graph-metrics.js'
import { DEFAULT_METRICS_HOST, MetricsServer, type MetricsAddress } from './metrics-server.js'

/** `true`: counted, for manager.metrics(); an address: served there too; false or absent: off. */
export type MetricsWanted = boolean | { port: number; host?: string } | null | undefined

export function createMetrics(wanted: MetricsWanted, source: Omit<MetricsSource, 'calls'>): ManagerMetrics | null {
  if (!wanted) return null
  return new ManagerMetrics(source, wanted === true ? null : { port: wanted.port, host: wanted.host ?? DEFAULT_METRICS_HOST })
}

export function metricsOff(): ServiceError {
  return svcError('SVC_ERR_METRICS_OFF', 'Metrics are off, so nothing was counted. Pass { metrics: true } to new ServicesManager(), or set metrics: { port } in the manifest.')
}

export class ManagerMetrics {
  readonly calls = new CallMeters()
  readonly #server: MetricsServer
  #graph: GraphMetrics | null = null
  #serving = false

  constructor(
    private readonly source: Omit<MetricsSource, 'calls'>,
    private readonly address: MetricsAddress | null,
  ) {
    this.#server = new MetricsServer(() => this.#graphMetrics())
  }

  get url(): string | null {
    return this.#server.url
  }

  async text(): Promise<string> {
    return this.#graphMetrics().text()
  }

  /** Starts serving if given an address and not serving yet; resolves with the URL when it has just begun. */
  async serve(): Promise<string | null> {
    if (!this.address || this.#serving) return null
    this.#serving = true
    try {
      return await this.#server.listen(this.address)
    } catch (error) {
      this.#serving = false // a later start() may try again, once the port is free
      throw error
    }
  }

  async close(): Promise<void> {
    this.#serving = false
    await this.#server.close()
  }

  // Built on the first scrape: prom-client is not even loaded before.
  #graphMetrics(): GraphMetrics {
    this.#graph ??= new GraphMetrics({ ...this.source, calls: this.calls })
    return this.#graph
  }
}
