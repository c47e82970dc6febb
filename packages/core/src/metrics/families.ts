// Metric families whose figures live elsewhere (the manager's nodes, the router's call meters) and are read at scrape
// time. prom-client's registry renders whatever it registered through the same `get()` its own metrics answer, so a
// family here is that one method: nothing is copied into prom-client's own counters between scrapes, and the router
// keeps its cheap per-call accounting (manager/call-meters.ts) instead of prom-client's per-observe label hashing.

import type { Metric, Registry } from 'prom-client'

export type Labels = Record<string, string | number>

export interface Sample {
  labels: Labels
  value: number
}

/** A histogram's figures for one label set: counts per bucket (not cumulative; one more slot above the last bound). */
export interface HistogramSample {
  labels: Labels
  buckets: ArrayLike<number>
  sum: number
  count: number
}

interface MetricValue {
  labels: Labels
  value: number
  metricName?: string
}

function register(registry: Registry, name: string, help: string, type: 'gauge' | 'counter' | 'histogram', values: () => MetricValue[]): void {
  const get = async () => ({ name, help, type, aggregator: 'sum', values: values() })
  registry.registerMetric({ name, help, type, aggregator: 'sum', get } as unknown as Metric)
}

export function family(registry: Registry, name: string, help: string, type: 'gauge' | 'counter', collect: () => Iterable<Sample>): void {
  register(registry, name, help, type, () => [...collect()])
}

export function histogramFamily(registry: Registry, name: string, help: string, bounds: readonly number[], collect: () => Iterable<HistogramSample>): void {
  register(registry, name, help, 'histogram', () => {
    const values: MetricValue[] = []
    for (const { labels, buckets, sum, count } of collect()) {
      let cumulative = 0
      bounds.forEach((le, i) => {
        cumulative += buckets[i]!
        values.push({ metricName: `${name}_bucket`, labels: { ...labels, le }, value: cumulative })
      })
      values.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: count })
      values.push({ metricName: `${name}_sum`, labels, value: sum })
      values.push({ metricName: `${name}_count`, labels, value: count })
    }
    return values
  })
}
