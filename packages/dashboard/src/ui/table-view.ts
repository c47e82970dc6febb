// The services table, in name order: a row per service, built once; each update rewrites only the cells
// whose text changed. Uptime is recomputed locally every second (no request involved).

import { el, setAttr, setText } from './dom.js'
import { bytes, dependsOnText, lastExitText, percent, stateText, toneOf, uptimeText } from './format.js'
import type { Changes, Store } from './store.js'

const COLUMNS = ['name', 'state', 'pid', 'uptime', 'restarts', 'lastExit', 'cpu', 'rss', 'dependsOn', 'command'] as const
type Column = (typeof COLUMNS)[number]

interface Row {
  tr: HTMLTableRowElement
  cells: Record<Column, HTMLTableCellElement>
}

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
    }
  }

  #build(): void {
    this.#rows.clear()
    const rows = this.store.sorted().map((service) => {
      const tr = el('tr')
      tr.setAttribute('data-service', service.name)
      const cells = Object.fromEntries(COLUMNS.map((c) => [c, el('td', { class: `col-${c}` })])) as Row['cells']
      cells.state.append(el('span', { class: 'dot' }), el('span', { class: 'state-text' }))
      tr.append(...COLUMNS.map((c) => cells[c]))
      this.#rows.set(service.name, { tr, cells })
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
    setText(cells.state.lastChild!, stateText(service))
    setAttr(cells.state, 'title', service.reason)
    setText(cells.pid, service.pid === null ? '-' : String(service.pid))
    setText(cells.uptime, uptimeText(service, Date.now()))
    setText(cells.restarts, String(service.restarts))
    setText(cells.lastExit, lastExitText(service.lastExit))
    setAttr(cells.lastExit, 'title', service.lastExit?.error ? `${service.lastExit.error.name}: ${service.lastExit.error.message}` : null)
    setText(cells.cpu, service.usage ? percent(service.usage.cpu) : '-')
    setText(cells.rss, service.usage ? bytes(service.usage.rss) : '-')
    setText(cells.dependsOn, dependsOnText(service))
    setText(cells.command, service.command ?? '-')
    setAttr(cells.command, 'title', service.command)
  }
}
