// Counts and latency histograms for every JSON-RPC call the gateway answers, per method and transport.

export type Transport = 'http' | 'redis'
export type Outcome = 'ok' | 'error'

// Label values for calls that never reached a real method; client-chosen names never become labels,
// so a scanner cannot blow up the metric cardinality.
export const UNEXPOSED = '(unexposed)'
export const INVALID = '(invalid)'

/** Seconds; chosen for an in-host hop that usually costs well under a millisecond. */
export const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

export interface MethodSeries {
  method: string
  transport: Transport
  ok: number
  error: number
  /** Non-cumulative counts per bucket; the last slot is +Inf. */
  buckets: number[]
  sumSeconds: number
}

export interface MethodStats {
  count: number
  errors: number
  totalMs: number
}

export class RequestMetrics {
  readonly #series = new Map<string, MethodSeries>()
  readonly #rejections = new Map<string, number>()

  record(method: string, transport: Transport, outcome: Outcome, seconds: number): void {
    const key = `${transport}\u0000${method}`
    let s = this.#series.get(key)
    if (!s) {
      s = { method, transport, ok: 0, error: 0, buckets: new Array(LATENCY_BUCKETS.length + 1).fill(0), sumSeconds: 0 }
      this.#series.set(key, s)
    }
    s[outcome]++
    s.sumSeconds += seconds
    let i = 0
    while (i < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[i]!) i++
    s.buckets[i]!++
  }

  /** An HTTP request refused before JSON-RPC processing (401, 404, 405, 413, 415). */
  reject(reason: string): void {
    this.#rejections.set(reason, (this.#rejections.get(reason) ?? 0) + 1)
  }

  series(): MethodSeries[] {
    return [...this.#series.values()].sort((a, b) => a.method.localeCompare(b.method) || a.transport.localeCompare(b.transport))
  }

  rejections(): Array<[reason: string, count: number]> {
    return [...this.#rejections.entries()].sort(([a], [b]) => a.localeCompare(b))
  }

  /** Per-method totals over both transports, for `stats()`. */
  byMethod(): Record<string, MethodStats> {
    const out: Record<string, MethodStats> = {}
    for (const s of this.#series.values()) {
      const m = (out[s.method] ??= { count: 0, errors: 0, totalMs: 0 })
      m.count += s.ok + s.error
      m.errors += s.error
      m.totalMs += s.sumSeconds * 1000
    }
    return out
  }
}
