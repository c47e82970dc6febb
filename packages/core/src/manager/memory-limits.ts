// limits.memoryMb (PM2's max_memory_restart, without the downtime): an instance whose process tree's RSS is above the
// limit in two samples running is replaced by a reload of that instance alone. Two, so that one spike is forgiven.

import type { UsageSample } from '../protocol/snapshot.js'

const SAMPLES_ABOVE = 2
const MIB = 1024 * 1024

export interface MemoryLimitHost {
  /** The limit of the service `api#1` belongs to, in MiB, or null. */
  limitMb(instance: string): number | null
  /** Replace it (once at a time per instance). */
  replace(instance: string, rss: number, limitMb: number): Promise<void>
}

export class MemoryLimits {
  readonly #above = new Map<string, number>()
  readonly #replacing = new Set<string>()

  constructor(private readonly host: MemoryLimitHost) {}

  sample(instance: string, sample: UsageSample): void {
    const limitMb = this.host.limitMb(instance)
    if (limitMb === null || this.#replacing.has(instance)) return
    if (sample.rss <= limitMb * MIB) {
      this.#above.delete(instance)
      return
    }
    const above = (this.#above.get(instance) ?? 0) + 1
    if (above < SAMPLES_ABOVE) {
      this.#above.set(instance, above)
      return
    }
    this.#above.delete(instance)
    this.#replacing.add(instance)
    void this.host.replace(instance, sample.rss, limitMb).finally(() => this.#replacing.delete(instance))
  }
}
