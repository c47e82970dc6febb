// The dependency graph as SVG: a box per service coloured by its state, an arrow from each service to what it
// depends on. The drawing is built when the set of services changes; after that only attributes and texts move.

import { setAttr, setText, svg } from './dom.js'
import { stateLabel, toneOf } from './format.js'
import { BOX, layoutGraph } from './graph-layout.js'
import type { Changes, Store } from './store.js'

interface Box {
  group: SVGGElement
  title: SVGTitleElement
  state: SVGTextElement
}

const NAME_CHARS = 19

export class GraphView {
  readonly #boxes = new Map<string, Box>()
  readonly #edges: { from: string; to: string; path: SVGPathElement }[] = []

  constructor(
    private readonly root: SVGSVGElement,
    private readonly store: Store,
    private readonly onSelect: (name: string) => void,
  ) {
    // One listener for every box, so rebuilding the drawing adds none.
    root.addEventListener('click', (event) => {
      const box = (event.target as Element).closest('[data-service]')
      const name = box?.getAttribute('data-service')
      if (name) this.onSelect(name)
    })
    root.addEventListener('keydown', (event) => {
      const name = (event.target as Element).getAttribute('data-service')
      if (name && (event.key === 'Enter' || event.key === ' ')) {
        event.preventDefault()
        this.onSelect(name)
      }
    })
  }

  render(changes: Changes): void {
    if (changes.structure) this.#build()
    const names = changes.structure ? [...this.store.services.keys()] : changes.services
    for (const name of names) this.#update(name)
    if (changes.structure || changes.selection) this.#highlight()
  }

  #build(): void {
    const services = [...this.store.services.values()]
    const layout = layoutGraph(services)
    this.root.replaceChildren()
    this.#boxes.clear()
    this.#edges.length = 0
    this.root.setAttribute('viewBox', `0 0 ${layout.width} ${layout.height}`)
    this.root.style.minWidth = `${Math.round(layout.width * 0.55)}px`
    this.root.append(arrowHead())

    const edgeLayer = svg('g', { class: 'edges' })
    for (const { from, to } of layout.edges) {
      const a = layout.boxes.get(from)!
      const b = layout.boxes.get(to)!
      const x1 = a.x + BOX.width / 2
      const y1 = a.y
      const x2 = b.x + BOX.width / 2
      const y2 = b.y + BOX.height
      const bend = Math.max(24, (y1 - y2) / 2)
      const path = svg('path', { class: 'edge', d: `M${x1},${y1} C${x1},${y1 - bend} ${x2},${y2 + bend} ${x2},${y2 + 4}`, 'marker-end': 'url(#arrow)' })
      path.setAttribute('data-from', from)
      path.setAttribute('data-to', to)
      edgeLayer.append(path)
      this.#edges.push({ from, to, path })
    }
    this.root.append(edgeLayer)

    const boxLayer = svg('g', { class: 'boxes' })
    for (const placed of layout.boxes.values()) {
      const group = svg('g', { class: 'svc', transform: `translate(${placed.x},${placed.y})`, tabindex: 0, role: 'button' })
      group.setAttribute('data-service', placed.name)
      const title = svg('title')
      const name = svg('text', { class: 'svc-name', x: 12, y: 19 })
      name.textContent = placed.name.length > NAME_CHARS ? `${placed.name.slice(0, NAME_CHARS - 1)}…` : placed.name
      const state = svg('text', { class: 'svc-state', x: 12, y: 36 })
      group.append(title, svg('rect', { width: BOX.width, height: BOX.height, rx: 7 }), name, state)
      boxLayer.append(group)
      this.#boxes.set(placed.name, { group, title, state })
    }
    this.root.append(boxLayer)
  }

  #update(name: string): void {
    const box = this.#boxes.get(name)
    const service = this.store.services.get(name)
    if (!box || !service) return
    setAttr(box.group, 'data-state', service.display)
    setAttr(box.group, 'data-tone', toneOf(service))
    setAttr(box.group, 'data-pid', service.pid === null ? null : String(service.pid))
    setText(box.state, service.pid === null ? stateLabel(service) : `${stateLabel(service)} · ${service.pid}`)
    setText(box.title, `${name}: ${stateLabel(service)}${service.reason ? ` (${service.reason})` : ''}`)
  }

  // The selected service, and the arrows into and out of it.
  #highlight(): void {
    const selected = this.store.selected
    for (const [name, box] of this.#boxes) setAttr(box.group, 'data-selected', name === selected ? 'true' : null)
    for (const edge of this.#edges) setAttr(edge.path, 'data-selected', edge.from === selected || edge.to === selected ? 'true' : null)
  }
}

function arrowHead(): SVGDefsElement {
  const defs = svg('defs')
  const marker = svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' })
  marker.append(svg('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrow-head' }))
  defs.append(marker)
  return defs
}
