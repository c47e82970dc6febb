// What the dashboard currently knows: every service's latest view and a short CPU/RSS history, so a page
// that opens late still gets the recent charts at once.

import type { UsageSample } from '@services-cluster/core'
import type { ServiceView } from '../protocol.js'
import type { ServiceUpdate } from '../source.js'

export class LiveModel {
  readonly #services = new Map<string, ServiceView>()
  readonly #history = new Map<string, UsageSample[]>()

  constructor(readonly historyLength: number) {}

  // The source reports every visible change as an update, so an update received after subscribing is at least
  // as new as the initial list, whichever arrived first: the initial list only fills in services not yet seen.
  seed(updates: ServiceUpdate[], history: Record<string, UsageSample[]>): void {
    const known = new Map(this.#services)
    this.#services.clear()
    for (const update of updates) this.#services.set(update.snapshot.name, known.get(update.snapshot.name) ?? view(update))
    for (const [name, service] of known) if (!this.#services.has(name)) this.#services.set(name, service)
    for (const [name, samples] of Object.entries(history)) {
      const live = this.#history.get(name) ?? []
      const older = samples.filter((s) => s.at < (live[0]?.at ?? Infinity))
      this.#history.set(name, [...older, ...live].slice(-this.historyLength))
    }
  }

  /** Applies an update; a service not seen before (a child service) is added at the end. */
  update(update: ServiceUpdate): ServiceView {
    const previous = this.#services.get(update.snapshot.name)
    const next = view(update, previous)
    this.#services.set(next.name, next)
    return next
  }

  /** Records a sample; false when it is one the history already has (the initial history and the live feed overlap). */
  usage(service: string, sample: UsageSample): boolean {
    let history = this.#history.get(service)
    if (!history) this.#history.set(service, (history = []))
    if (history.length > 0 && sample.at <= history[history.length - 1]!.at) return false
    history.push(sample)
    if (history.length > this.historyLength) history.shift()
    const current = this.#services.get(service)
    if (current && current.state !== 'closed') current.usage = sample
    return true
  }

  has(service: string): boolean {
    return this.#services.has(service)
  }

  names(): string[] {
    return [...this.#services.keys()]
  }

  services(): ServiceView[] {
    return [...this.#services.values()].map((s) => ({ ...s }))
  }

  history(): Record<string, UsageSample[]> {
    return Object.fromEntries([...this.#history].map(([name, samples]) => [name, [...samples]]))
  }
}

function view(update: ServiceUpdate, previous?: ServiceView): ServiceView {
  // An update without a reason (a restart being scheduled) keeps the reason of the state change before it.
  return { ...update.snapshot, reason: update.reason ?? previous?.reason ?? null }
}
