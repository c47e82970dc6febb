/// <reference lib="dom" />
// The graph as the browser drew it, in screen pixels: every box, every arrow sampled along its length, every text.
// Read in the page, so what is measured is what people see (transforms, viewBox scaling and fonts included).

import type { Page } from 'playwright-core'

export interface Rect {
  left: number
  top: number
  right: number
  bottom: number
}

export interface DrawnGraph {
  boxes: Record<string, Rect>
  /** "from→to": points along the arrow, every 2 px of its length. */
  edges: Record<string, { x: number; y: number }[]>
  labels: Record<string, Rect>
  /** Every text of a box, with the box it belongs to. */
  texts: { service: string; text: string; rect: Rect }[]
}

export function drawnGraph(page: Page): Promise<DrawnGraph> {
  return page.evaluate(() => {
    const rect = (el: Element) => {
      const r = el.getBoundingClientRect()
      return { left: r.left, top: r.top, right: r.right, bottom: r.bottom }
    }
    const boxes: Record<string, Rect> = {}
    const texts: DrawnGraph['texts'] = []
    for (const group of document.querySelectorAll('#graph [data-service]')) {
      const service = group.getAttribute('data-service')!
      boxes[service] = rect(group.querySelector('rect')!)
      for (const text of group.querySelectorAll('text')) if (text.textContent) texts.push({ service, text: text.textContent, rect: rect(text) })
    }
    const edges: DrawnGraph['edges'] = {}
    for (const path of document.querySelectorAll<SVGPathElement>('#graph .edge')) {
      const matrix = path.getScreenCTM()!
      const length = path.getTotalLength()
      const points = []
      for (let at = 0; at <= length; at += 2) {
        const p = path.getPointAtLength(at).matrixTransform(matrix)
        points.push({ x: p.x, y: p.y })
      }
      edges[`${path.getAttribute('data-from')}→${path.getAttribute('data-to')}`] = points
    }
    const labels: Record<string, Rect> = {}
    for (const label of document.querySelectorAll('#graph .edge-label')) labels[`${label.getAttribute('data-from')}→${label.getAttribute('data-to')}`] = rect(label)
    return { boxes, edges, labels, texts }
  })
}

const inside = (p: { x: number; y: number }, r: Rect, margin: number) => p.x > r.left + margin && p.x < r.right - margin && p.y > r.top + margin && p.y < r.bottom - margin

/** "gateway→checker crosses scheduler" for every arrow that runs through a box other than its two ends. */
export function edgesThroughBoxes(graph: DrawnGraph): string[] {
  const found: string[] = []
  for (const [edge, points] of Object.entries(graph.edges)) {
    const [from, to] = edge.split('→')
    for (const [name, box] of Object.entries(graph.boxes)) {
      if (name === from || name === to) continue
      if (points.some((p) => inside(p, box, 1))) found.push(`${edge} crosses ${name}`)
    }
  }
  return found
}

/** Labels drawn over a box. */
export function labelsOverBoxes(graph: DrawnGraph): string[] {
  const overlaps = (a: Rect, b: Rect) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom
  return Object.entries(graph.labels).flatMap(([edge, label]) =>
    Object.entries(graph.boxes).filter(([, box]) => overlaps(label, box)).map(([name]) => `label of ${edge} over ${name}`),
  )
}

/** Texts that reach outside their box. */
export function textsOutside(graph: DrawnGraph): string[] {
  return graph.texts
    .filter(({ service, rect }) => {
      const box = graph.boxes[service]!
      return rect.left < box.left || rect.right > box.right || rect.top < box.top || rect.bottom > box.bottom
    })
    .map(({ service, text, rect }) => `"${text}" (${Math.round(rect.right - rect.left)} px) outside the box of ${service}`)
}
