// Where each box and arrow goes. dagre lays the graph out in layers (dependencies above their dependents, so every
// arrow points up), with a waypoint in every layer a long arrow passes; this module then routes each arrow so that
// it never crosses a box: inside a layer of boxes it runs straight up at its waypoint (dagre keeps waypoints apart
// from boxes), and it turns only in the free space between layers. Pure: the unit tests import it directly.

import dagre from '@dagrejs/dagre'
import type { EdgeCondition } from '../protocol.js'

export interface GraphInput {
  name: string
  dependsOn: string[]
  /** Per dependency; an edge whose condition is not 'ready' (the default) carries it as a label. */
  conditions?: Record<string, EdgeCondition>
}

export interface Point {
  x: number
  y: number
}

/** A box by its top-left corner (every box is BOX.width × BOX.height). */
export interface Placed {
  name: string
  x: number
  y: number
}

export interface PlacedEdge {
  from: string
  to: string
  /** From the top of `from` to the bottom of `to`. */
  points: Point[]
  /** The condition when it is not 'ready', centred at `labelAt`. */
  label: string | null
  labelAt: Point | null
}

export interface Layout {
  boxes: Map<string, Placed>
  edges: PlacedEdge[]
  width: number
  height: number
}

export const BOX = { width: 156, height: 46, gapX: 24, gapY: 44, margin: 16 } as const
export const LABEL = { height: 14, charWidth: 6.6, padding: 8 } as const

export function layoutGraph(services: GraphInput[]): Layout {
  const known = new Set(services.map((s) => s.name))
  const g = new dagre.graphlib.Graph()
  g.setGraph({ rankdir: 'BT', nodesep: BOX.gapX, ranksep: BOX.gapY, edgesep: 12, marginx: BOX.margin, marginy: BOX.margin })
  g.setDefaultEdgeLabel(() => ({}))
  for (const s of services) g.setNode(s.name, { width: BOX.width, height: BOX.height })
  for (const s of services) {
    for (const to of s.dependsOn) {
      if (!known.has(to)) continue
      const label = conditionLabel(s.conditions?.[to])
      g.setEdge(s.name, to, label ? { label, width: labelWidth(label), height: LABEL.height, labelpos: 'c' } : {})
    }
  }
  dagre.layout(g)

  const boxes = new Map<string, Placed>()
  for (const s of services) {
    const node = g.node(s.name)
    boxes.set(s.name, { name: s.name, x: node.x - BOX.width / 2, y: node.y - BOX.height / 2 })
  }
  // The y of every layer that holds boxes: an arrow crosses those only at its waypoints, straight up.
  const boxLayers = new Set([...boxes.values()].map((b) => b.y + BOX.height / 2))
  const edges = g.edges().map(({ v: from, w: to }: { v: string; w: string }) => {
    const edge = g.edge(from, to) as { points: Point[]; label?: string; x?: number; y?: number }
    const waypoints = edge.points.slice(1, -1).flatMap((p) =>
      boxLayers.has(p.y) ? [{ x: p.x, y: p.y + BOX.height / 2 }, { x: p.x, y: p.y - BOX.height / 2 }] : [p],
    )
    const label = edge.label ?? null
    return { from, to, points: waypoints, label, labelAt: label && edge.x !== undefined && edge.y !== undefined ? { x: edge.x, y: edge.y } : null }
  })
  attachEnds(edges, boxes)
  const graph = g.graph()
  return { boxes, edges, width: Math.ceil(graph.width ?? 0), height: Math.ceil(graph.height ?? 0) }
}

// Arrows leave from the top of a box and arrive at the bottom of another, spread along the side in the order of
// where they go (so they do not cross at the box), and never at a corner.
function attachEnds(edges: PlacedEdge[], boxes: Map<string, Placed>): void {
  const towards = (e: PlacedEdge, end: 'from' | 'to') => e.points[end === 'from' ? 0 : e.points.length - 1]?.x ?? boxes.get(end === 'from' ? e.to : e.from)!.x
  const spread = (list: PlacedEdge[], box: Placed, end: 'from' | 'to') => {
    list.sort((a, b) => towards(a, end) - towards(b, end))
    list.forEach((e, i) => {
      const x = box.x + (BOX.width * (i + 1)) / (list.length + 1)
      if (end === 'from') e.points.unshift({ x, y: box.y })
      else e.points.push({ x, y: box.y + BOX.height })
    })
  }
  for (const box of boxes.values()) {
    const out = edges.filter((e) => e.from === box.name)
    const into = edges.filter((e) => e.to === box.name)
    spread(out, box, 'from')
    spread(into, box, 'to')
  }
}

export function conditionLabel(condition: EdgeCondition | undefined): string | null {
  return condition === undefined || condition === 'ready' ? null : condition
}

function labelWidth(label: string): number {
  return Math.ceil(label.length * LABEL.charWidth) + LABEL.padding * 2
}

/** Everything that depends on `name`, directly or not. */
export function dependentsOf(services: GraphInput[], name: string): string[] {
  const out = new Set<string>()
  const visit = (target: string) => {
    for (const s of services) {
      if (s.dependsOn.includes(target) && !out.has(s.name)) {
        out.add(s.name)
        visit(s.name)
      }
    }
  }
  visit(name)
  return [...out]
}

/** Everything `name` depends on, directly or not. */
export function dependenciesOf(services: GraphInput[], name: string): string[] {
  const byName = new Map(services.map((s) => [s.name, s]))
  const out = new Set<string>()
  const visit = (target: string) => {
    for (const d of byName.get(target)?.dependsOn ?? []) {
      if (!out.has(d)) {
        out.add(d)
        visit(d)
      }
    }
  }
  visit(name)
  return [...out]
}
