// Optional per-service health checks: a method the service exposes, or a probe the manager runs itself (an HTTP URL
// answering 2xx, a TCP port accepting, a program exiting 0; probes/). After `failureThreshold` consecutive failures
// the service is treated as crashed. A method check is watched per instance (`api#1`): through balancing, one bad
// instance among good ones would never fail twice running; a probe is the service's (its port, its URL).

import type { ResolvedService } from '../manifest/normalize.js'
import { checkOnce } from '../probes/check-once.js'

export interface HealthHost {
  /** `target`: a service, or one instance of it (`api#1`). */
  call(target: string, method: string, timeoutMs: number): Promise<unknown>
  unhealthy(target: string, why: string): void
}

/** Health checks of one service since it was first watched: counters for the metrics. */
export interface HealthResults {
  passed: number
  failed: number
  /** The last check passed. */
  healthy: boolean
}

interface Watch {
  timer: NodeJS.Timeout
  // Aborted on unwatch: a check in flight (an exec probe's process above all) is not left running.
  stop: AbortController
}

export class HealthMonitor {
  readonly #watches = new Map<string, Watch>()
  readonly #results = new Map<string, HealthResults>()

  constructor(private readonly host: HealthHost) {}

  /** Checks `target` (the service, or one of its instances) until unwatched; results count for the service. */
  watch(service: ResolvedService, target = service.name): void {
    const health = service.health
    if (!health || this.#watches.has(target)) return
    const { check } = health
    const stop = new AbortController()
    let results = this.#results.get(service.name)
    if (!results) this.#results.set(service.name, (results = { passed: 0, failed: 0, healthy: true }))
    const tally = results
    let failures = 0
    let checking = false
    const timer = setInterval(async () => {
      if (checking) return
      checking = true
      try {
        if ('method' in check) await this.host.call(target, check.method, health.timeoutMs)
        else await checkOnce(check.probe, { signal: stop.signal, cwd: service.cwd, env: service.env })
        failures = 0
        tally.passed++
        tally.healthy = true
      } catch (error) {
        if (stop.signal.aborted) return
        failures++
        tally.failed++
        tally.healthy = false
        if (failures >= health.failureThreshold && this.#watches.has(target)) {
          this.unwatch(target)
          this.host.unhealthy(target, `${failures} failed health checks (last: ${(error as Error).message})`)
        }
      } finally {
        checking = false
      }
    }, health.intervalMs)
    timer.unref()
    this.#watches.set(target, { timer, stop })
  }

  /** Null for a service without a health check (or not yet watched). */
  results(name: string): HealthResults | null {
    return this.#results.get(name) ?? null
  }

  unwatch(name: string): void {
    const watch = this.#watches.get(name)
    if (!watch) return
    clearInterval(watch.timer)
    watch.stop.abort()
    this.#watches.delete(name)
  }

  stop(): void {
    for (const name of [...this.#watches.keys()]) this.unwatch(name)
  }
}
