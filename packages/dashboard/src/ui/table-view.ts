// The services table, in name order: a row per service, built once; each update rewrites only the cells
// whose text changed. A service of several instances has a row per instance under its own, as in `svc ps`: those
// follow its instances as they come and go. Uptime is recomputed locally every second (no request involved).

import { el, setAttr, setText } from './dom.js'
import type { InstanceSnapshot } from '../protocol.js'
import { bytes, dependsOnText, hostsText, instanceCount, instanceStateText, instanceUptimeText, lastExitText, percent, showsInstances, stateText, toneOf, uptimeText, type Tone } from './format.js'
import type { Changes, Store } from './store.js'

const COLUMNS = ['name', 'state', 'host', 'pid', 'uptime', 'restarts', 'lastExit', 'cpu', 'rss', 'dependsOn', 'command'] as const
type Column = (typeof COLUMNS)[number]

interface Row {
  tr: HTMLTableRowElement
  cells: Record<Column, HTMLTableCellElement>
  /** The rows of its instances, in the order of the snapshot, when it shows them. */
  instances: InstanceRow[]
}

interface InstanceRow extends Omit<Row, 'instances'> {
  instance: InstanceSnapshot
}

const INSTANCE_TONES: Record<InstanceSnapshot['state'], Tone> = { starting: 'busy', running: 'running', draining: 'busy', closing: 'busy', closed: 'stopped' }

export class TableView {
  readonly #rows = new Map<string, Row>()

  constructor(
    private readonly body: HTMLTableSectionElement,
    private readonly store: Store,
    private readonly onSelect: (name: string) => void,
  ) {
    body.addEventListener('click', (event) => {
      const name = (event.target as Element).closest('tr')?.getAttribute('data-service')
      if (name) this.onSelect(name)
    })
  }

  render(changes: Changes): void {
    if (changes.structure) this.#build()
    const names = changes.structure ? this.store.services.keys() : new Set([...changes.services, ...changes.usage])
    for (const name of names) this.#update(name)
    if (changes.structure || changes.selection) {
      for (const [name, row] of this.#rows) setAttr(row.tr, 'data-selected', name === this.store.selected ? 'true' : null)
    }
  }

  /** Once a second: the uptime column, the only one that moves without an event. */
  tick(now: number): void {
    for (const [name, row] of this.#rows) {
      const service = this.store.services.get(name)
      if (service) setText(row.cells.uptime, uptimeText(service, now))
      for (const i of row.instances) setText(i.cells.uptime, instanceUptimeText(i.instance, now))
    }
  }

  #build(): void {
    this.#rows.clear()
    const rows = this.store.sorted().map((service) => {
      const { tr, cells } = row(service.name)
      this.#rows.set(service.name, { tr, cells, instances: [] })
      return tr
    })
    this.body.replaceChildren(...rows)
  }

  #update(name: string): void {
    const row = this.#rows.get(name)
    const service = this.store.services.get(name)
    if (!row || !service) return
    const { cells } = row
    setAttr(row.tr, 'data-tone', toneOf(service))
    setAttr(row.tr, 'data-state', service.display)
    setText(cells.name, service.name)
    const several = showsInstances(service)
    setText(cells.state.lastChild!, several ? `${stateText(service)} ${instanceCount(service)}` : stateText(service))
    setAttr(cells.state, 'title', service.reason)
    setText(cells.host, hostsText(service))
    setText(cells.pid, service.pid === null || several ? '-' : String(service.pid))
    setText(cells.uptime, uptimeText(service, Date.now()))
    setText(cells.restarts, String(service.restarts))
    setText(cells.lastExit, lastExitText(service.lastExit))
    setAttr(cells.lastExit, 'title', service.lastExit?.error ? `${service.lastExit.error.name}: ${service.lastExit.error.message}` : null)
    setText(cells.cpu, service.usage ? percent(service.usage.cpu) : '-')
    setText(cells.rss, service.usage ? bytes(service.usage.rss) : '-')
    setText(cells.dependsOn, dependsOnText(service))
    setText(cells.command, service.command ?? '-')
    setAttr(cells.command, 'title', service.command)
    this.#updateInstances(row, several ? service.instances : [])
  }

  // The instance rows follow the snapshot: made or dropped to match its instances, then their cells rewritten.
  #updateInstances(parent: Row, instances: InstanceSnapshot[]): void {
    const service = parent.tr.getAttribute('data-service')!
    while (parent.instances.length > instances.length) parent.instances.pop()!.tr.remove()
    while (parent.instances.length < instances.length) {
      const made = { ...row(service), instance: instances[parent.instances.length]! }
      made.tr.classList.add('instance')
      ;(parent.instances.at(-1)?.tr ?? parent.tr).after(made.tr)
      parent.instances.push(made)
    }
    const now = Date.now()
    instances.forEach((instance, k) => {
      const r = parent.instances[k]!
      r.instance = instance
      const { cells } = r
      setAttr(r.tr, 'data-instance', instance.id)
      setAttr(r.tr, 'data-tone', INSTANCE_TONES[instance.state])
      setAttr(r.tr, 'data-state', instance.state)
      setText(cells.name, instance.id)
      setText(cells.state.lastChild!, instanceStateText(instance))
      setText(cells.host, instance.host)
      setText(cells.pid, instance.pid === null ? '-' : String(instance.pid))
      setText(cells.uptime, instanceUptimeText(instance, now))
      setText(cells.restarts, String(instance.restarts))
      setText(cells.lastExit, '')
      setText(cells.cpu, instance.usage ? percent(instance.usage.cpu) : '-')
      setText(cells.rss, instance.usage ? bytes(instance.usage.rss) : '-')
    })
  }
}

// A row of empty cells; clicking anywhere in it selects `service`.
function row(service: string): Omit<Row, 'instances'> {
  const tr = el('tr')
  tr.setAttribute('data-service', service)
  const cells = Object.fromEntries(COLUMNS.map((c) => [c, el('td', { class: `col-${c}` })])) as Row['cells']
  cells.state.append(el('span', { class: 'dot' }), el('span', { class: 'state-text' }))
  tr.append(...COLUMNS.map((c) => cells[c]))
  return { tr, cells }
}
