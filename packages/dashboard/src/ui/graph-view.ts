// The dependency graph as SVG: a box per service coloured by its state, an arrow from each service to what it
// depends on (labelled with its condition when that is not 'ready'). The drawing is built when the set of services
// changes; after that only attributes and texts move.

import type { ServiceView } from '../protocol.js'
import { setAttr, setText, svg } from './dom.js'
import { fitText } from './fit-text.js'
import { instanceBadge, kindTag, showsInstances, stateLabel, toneOf } from './format.js'
import { BOX, LABEL, layoutGraph, type Point } from './graph-layout.js'
import type { Changes, Store } from './store.js'

interface Box {
  group: SVGGElement
  title: SVGTitleElement
  state: SVGTextElement
  /** "×3" or "2/3 ready" for a service of several instances; empty otherwise. */
  count: SVGTextElement
}

const PAD = 12
/** Never drawn larger than the layout (a 2-service graph is not blown up to fill the panel), nor below this. */
const MIN_SCALE = 0.55

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
    // Its natural size at most, shrunk to the panel's width down to MIN_SCALE (then the panel scrolls).
    this.root.style.width = `${layout.width}px`
    this.root.style.minWidth = `${Math.round(layout.width * MIN_SCALE)}px`
    this.root.append(arrowHead())

    const edgeLayer = svg('g', { class: 'edges' })
    const labelLayer = svg('g', { class: 'edge-labels' })
    for (const edge of layout.edges) {
      const path = svg('path', { class: 'edge', d: polyline(edge.points), 'marker-end': 'url(#arrow)' })
      path.setAttribute('data-from', edge.from)
      path.setAttribute('data-to', edge.to)
      edgeLayer.append(path)
      this.#edges.push({ from: edge.from, to: edge.to, path })
      if (edge.label && edge.labelAt) labelLayer.append(edgeLabel(edge.from, edge.to, edge.label, edge.labelAt))
    }
    this.root.append(edgeLayer, labelLayer)

    // Texts are measured as they are set, so the boxes go into the document first.
    const boxLayer = svg('g', { class: 'boxes' })
    this.root.append(boxLayer)
    for (const placed of layout.boxes.values()) {
      const service = this.store.services.get(placed.name)!
      const group = svg('g', { class: 'svc', transform: `translate(${placed.x},${placed.y})`, tabindex: 0, role: 'button' })
      group.setAttribute('data-service', placed.name)
      group.setAttribute('data-kind', service.kind)
      if (service.oneshot) group.setAttribute('data-oneshot', 'true')
      const title = svg('title')
      const tag = svg('text', { class: 'svc-kind', x: BOX.width - 8, y: 16, 'text-anchor': 'end' })
      const name = svg('text', { class: 'svc-name', x: PAD, y: 19 })
      const state = svg('text', { class: 'svc-state', x: PAD, y: 36 })
      const count = svg('text', { class: 'svc-count', x: BOX.width - 8, y: 36, 'text-anchor': 'end' })
      group.append(title, svg('rect', { width: BOX.width, height: BOX.height, rx: service.kind === 'command' ? 2 : 7 }), tag, name, state, count)
      boxLayer.append(group)
      this.#boxes.set(placed.name, { group, title, state, count })
      const tagText = kindTag(service)
      tag.textContent = tagText
      const tagWidth = tagText ? tag.getComputedTextLength() + 6 : 0
      fitText(name, placed.name, BOX.width - PAD - 8 - tagWidth)
    }
  }

  #update(name: string): void {
    const box = this.#boxes.get(name)
    const service = this.store.services.get(name)
    if (!box || !service) return
    setAttr(box.group, 'data-state', service.display)
    setAttr(box.group, 'data-tone', toneOf(service))
    setAttr(box.group, 'data-pid', service.pid === null ? null : String(service.pid))
    // One box per service: several instances show their count instead of a pid (the table has a row for each).
    const badge = instanceBadge(service)
    setText(box.count, badge)
    setAttr(box.group, 'data-instances', badge || null)
    const countWidth = badge ? box.count.getComputedTextLength() + 6 : 0
    const state = service.pid === null || showsInstances(service) ? stateLabel(service) : `${stateLabel(service)} · ${service.pid}`
    fitText(box.state, state, BOX.width - PAD * 2 - countWidth)
    setText(box.title, titleOf(service))
  }

  // The selected service, and the arrows into and out of it.
  #highlight(): void {
    const selected = this.store.selected
    for (const [name, box] of this.#boxes) setAttr(box.group, 'data-selected', name === selected ? 'true' : null)
    for (const edge of this.#edges) setAttr(edge.path, 'data-selected', edge.from === selected || edge.to === selected ? 'true' : null)
  }
}

// The hover text holds what the box has no room for: the whole state, why, what it waits for, its command.
function titleOf(service: ServiceView): string {
  const lines = [`${service.name}: ${stateLabel(service)}${service.reason ? ` (${service.reason})` : ''}`]
  if (service.waitingFor) lines.push(`waiting for ${service.waitingFor}`)
  if (showsInstances(service)) {
    lines.push(`${service.instances.filter((i) => i.state === 'running').length} of ${service.desiredInstances} instances running`)
    for (const i of service.instances) lines.push(`  ${i.id}: ${i.state}${i.pid === null ? '' : ` · ${i.pid}`}`)
  }
  if (service.command) lines.push(`$ ${service.command}`)
  return lines.join('\n')
}

function polyline(points: Point[]): string {
  return points.map((p, i) => `${i === 0 ? 'M' : 'L'}${round(p.x)},${round(p.y)}`).join(' ')
}

function edgeLabel(from: string, to: string, text: string, at: Point): SVGGElement {
  const group = svg('g', { class: 'edge-label', transform: `translate(${round(at.x)},${round(at.y)})` })
  group.setAttribute('data-from', from)
  group.setAttribute('data-to', to)
  const width = text.length * LABEL.charWidth + LABEL.padding
  group.append(
    svg('rect', { x: -width / 2, y: -LABEL.height / 2, width, height: LABEL.height, rx: 3 }),
    Object.assign(svg('text', { 'text-anchor': 'middle', y: 4 }), { textContent: text }),
  )
  return group
}

function round(n: number): number {
  return Math.round(n * 10) / 10
}

function arrowHead(): SVGDefsElement {
  const defs = svg('defs')
  const marker = svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' })
  marker.append(svg('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrow-head' }))
  defs.append(marker)
  return defs
}
