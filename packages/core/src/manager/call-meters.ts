// Calls, errors and latency per caller → target and method, for the metrics (metrics/graph-metrics.ts). The router
// records every call here, so this is on its hot path: one meter per key, created on the key's first call and found
// again through nested maps (no key string is built), and a fixed bucket array — nothing is allocated per call.

/** Upper bounds of the latency buckets, in seconds: a relayed small call takes ≈ 0.1 ms, a slow one seconds. */
export const CALL_BUCKETS_S = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const

/**
 * Method names come from services: one that calls endless made-up names would grow the meters (and every scrape)
 * without bound. Past this many keys, new methods are counted under OTHER_METHOD.
 */
export const MAX_CALL_KEYS = 10_000
export const OTHER_METHOD = '(other)'

export interface CallMeter {
  readonly caller: string
  readonly target: string
  readonly method: string
  /** Calls that ended: answered by the target, refused or failed by the manager, or timed out. */
  calls: number
  errors: number
  /** Calls the target answered, by latency bucket (not cumulative; the last slot is above every bound). */
  readonly buckets: Float64Array
  /** Sum of those calls' latencies, in seconds. */
  sum: number
  count: number
}

export class CallMeters {
  readonly #byCaller = new Map<string, Map<string, Map<string, CallMeter>>>()
  #keys = 0

  /** A call `target` answered after `seconds`; `failed` when its answer is an error. */
  answered(caller: string, target: string, method: string, seconds: number, failed: boolean): void {
    const meter = this.#meter(caller, target, method)
    meter.calls++
    if (failed) meter.errors++
    meter.sum += seconds
    meter.count++
    let i = 0
    while (i < CALL_BUCKETS_S.length && seconds > CALL_BUCKETS_S[i]!) i++
    meter.buckets[i]!++
  }

  /** A call that ended without an answer from its target (refused, failed by the manager, timed out), or one the
   * manager answered itself (`$manager`). */
  ended(caller: string, target: string, method: string, failed: boolean): void {
    const meter = this.#meter(caller, target, method)
    meter.calls++
    if (failed) meter.errors++
  }

  *meters(): Iterable<CallMeter> {
    for (const byTarget of this.#byCaller.values()) for (const byMethod of byTarget.values()) yield* byMethod.values()
  }

  #meter(caller: string, target: string, method: string): CallMeter {
    let byTarget = this.#byCaller.get(caller)
    if (!byTarget) this.#byCaller.set(caller, (byTarget = new Map()))
    let byMethod = byTarget.get(target)
    if (!byMethod) byTarget.set(target, (byMethod = new Map()))
    let meter = byMethod.get(method)
    if (meter) return meter
    if (this.#keys >= MAX_CALL_KEYS && method !== OTHER_METHOD) return this.#meter(caller, target, OTHER_METHOD)
    this.#keys++
    meter = { caller, target, method, calls: 0, errors: 0, buckets: new Float64Array(CALL_BUCKETS_S.length + 1), sum: 0, count: 0 }
    byMethod.set(method, meter)
    return meter
  }
}
