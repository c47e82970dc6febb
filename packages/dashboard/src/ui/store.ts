// The page's model of the manager, fed by the event stream. It records what changed since the last frame, so
// the views touch only that: a crash cascade across 50 services is a handful of attribute writes per frame.

import type { DashboardEvent, DashboardInfo, ServiceView, UsageSample } from '../protocol.js'

export interface Changes {
  /** Services were added or the graph changed: views rebuild their structure. */
  structure: boolean
  /** Services whose view changed. */
  services: Set<string>
  /** Services with new usage samples. */
  usage: Set<string>
  selection: boolean
  /** The dashboard closed (the manager stopped, or `svc ui` was stopped). */
  closed: boolean
}

export class Store {
  info: DashboardInfo | null = null
  readonly services = new Map<string, ServiceView>()
  readonly history = new Map<string, UsageSample[]>()
  selected: string | null = null
  closedReason: string | null = null
  #changes: Changes = emptyChanges()

  apply(event: DashboardEvent): void {
    switch (event.type) {
      case 'snapshot': {
        this.info = event.info
        this.services.clear()
        this.history.clear()
        for (const s of event.services) this.services.set(s.name, s)
        for (const [name, samples] of Object.entries(event.history)) this.history.set(name, samples)
        if (this.selected === null || !this.services.has(this.selected)) this.selected = event.services[0]?.name ?? null
        this.#changes.structure = true
        this.#changes.selection = true
        break
      }
      case 'service': {
        const before = this.services.get(event.service.name)
        this.services.set(event.service.name, event.service)
        if (!before || before.dependsOn.join() !== event.service.dependsOn.join()) this.#changes.structure = true
        this.#changes.services.add(event.service.name)
        break
      }
      case 'usage':
        for (const { service, ...sample } of event.samples) {
          let samples = this.history.get(service)
          if (!samples) this.history.set(service, (samples = []))
          samples.push(sample)
          if (samples.length > (this.info?.historyLength ?? 120)) samples.shift()
          const view = this.services.get(service)
          if (view && view.state !== 'closed') view.usage = sample
          this.#changes.usage.add(service)
        }
        break
      case 'closing':
        this.closedReason = event.reason
        this.#changes.closed = true
        break
      default: {
        const unknown: never = event
        console.warn('unknown dashboard event', unknown)
      }
    }
  }

  select(name: string): void {
    if (this.selected === name || !this.services.has(name)) return
    this.selected = name
    this.#changes.selection = true
  }

  get selectedService(): ServiceView | null {
    return this.selected === null ? null : (this.services.get(this.selected) ?? null)
  }

  /** Services in name order, as the table lists them. */
  sorted(): ServiceView[] {
    return [...this.services.values()].sort((a, b) => a.name.localeCompare(b.name))
  }

  /** What changed since the last call; the next frame starts from nothing. */
  takeChanges(): Changes {
    const changes = this.#changes
    this.#changes = emptyChanges()
    return changes
  }
}

function emptyChanges(): Changes {
  return { structure: false, services: new Set(), usage: new Set(), selection: false, closed: false }
}
