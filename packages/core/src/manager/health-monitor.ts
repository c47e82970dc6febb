// Optional per-service health checks: a method the service exposes, or an HTTP URL answering 2xx.
// After `failureThreshold` consecutive failures the service is treated as crashed.

import type { ResolvedService } from '../manifest/normalize.js'

export interface HealthHost {
  call(service: string, method: string, timeoutMs: number): Promise<unknown>
  unhealthy(service: string, why: string): void
}

export class HealthMonitor {
  readonly #timers = new Map<string, NodeJS.Timeout>()

  constructor(private readonly host: HealthHost) {}

  watch(service: ResolvedService): void {
    const health = service.health
    if (!health || this.#timers.has(service.name)) return
    let failures = 0
    let checking = false
    const timer = setInterval(async () => {
      if (checking) return
      checking = true
      try {
        if (health.method) await this.host.call(service.name, health.method, health.timeoutMs)
        else {
          const res = await fetch(health.url!, { signal: AbortSignal.timeout(health.timeoutMs) })
          await res.body?.cancel()
          if (!res.ok) throw new Error(`HTTP ${res.status}`)
        }
        failures = 0
      } catch (error) {
        failures++
        if (failures >= health.failureThreshold && this.#timers.has(service.name)) {
          this.unwatch(service.name)
          this.host.unhealthy(service.name, `${failures} failed health checks (last: ${(error as Error).message})`)
        }
      } finally {
        checking = false
      }
    }, health.intervalMs)
    timer.unref()
    this.#timers.set(service.name, timer)
  }

  unwatch(name: string): void {
    const timer = this.#timers.get(name)
    if (timer) clearInterval(timer)
    this.#timers.delete(name)
  }

  stop(): void {
    for (const name of [...this.#timers.keys()]) this.unwatch(name)
  }
}
