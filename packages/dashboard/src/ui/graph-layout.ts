// Where each box and arrow goes. Services go in layers by dependency depth (dependencies above their dependents, so
// every arrow points up), a wide layer wrapped into rows; dagre orders and places each row and gives a long arrow a
// waypoint in every row it passes. This module then routes each arrow so that it never crosses a box: inside a row
// of boxes it runs straight up at its waypoint (dagre keeps waypoints apart from boxes), and it turns only in the
// free space between rows. Pure: the unit tests import it directly.

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
/** A layer wider than this wraps into several rows: 8 boxes fit a laptop's graph panel at the smallest scale. */
export const MAX_PER_ROW = 8
export const LABEL = { height: 14, charWidth: 6.6, padding: 8 } as const

export function layoutGraph(services: GraphInput[]): Layout {
  const known = new Set(services.map((s) => s.name))
  const rows = rowsOf(services)
  const lastRow = Math.max(0, ...rows.values())
  const g = new dagre.graphlib.Graph()
  // The rows are ours: ranker 'none' (in dagre's ranker switch, missing from its types) takes each node's rank as
  // given. Ranks run bottom-up here (rankdir BT) and are doubled: dagre keeps the odd ones for the edge labels.
  g.setGraph({ rankdir: 'BT', ranker: 'none' as 'longest-path', nodesep: BOX.gapX, ranksep: BOX.gapY, edgesep: 12, marginx: BOX.margin, marginy: BOX.margin })
  g.setDefaultEdgeLabel(() => ({}))
  for (const s of services) g.setNode(s.name, { width: BOX.width, height: BOX.height, rank: 2 * (lastRow - rows.get(s.name)!) })
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
  // The middle of every row of boxes (dagre puts a row's waypoints there too): an arrow crosses a row only at its
  // waypoint, straight up.
  const boxRows = new Set([...boxes.values()].map((b) => Math.round(b.y + BOX.height / 2)))
  const edges = g.edges().map(({ v: from, w: to }: { v: string; w: string }) => {
    const edge = g.edge(from, to) as { points: Point[]; label?: string; x?: number; y?: number }
    const waypoints = edge.points.slice(1, -1).flatMap((p) =>
      boxRows.has(Math.round(p.y)) ? [{ x: p.x, y: p.y + BOX.height / 2 }, { x: p.x, y: p.y - BOX.height / 2 }] : [p],
    )
    const label = edge.label ?? null
    return { from, to, points: waypoints, label, labelAt: label && edge.x !== undefined && edge.y !== undefined ? { x: edge.x, y: edge.y } : null }
  })
  attachEnds(edges, boxes)
  const graph = g.graph()
  return { boxes, edges, width: Math.ceil(graph.width ?? 0), height: Math.ceil(graph.height ?? 0) }
}

// Row of each service, from the top: its depth (the longest path down to a service that depends on nothing), each
// layer wrapped every MAX_PER_ROW boxes. The manager refuses cycles; a guard keeps a bad input from looping.
function rowsOf(services: GraphInput[]): Map<string, number> {
  const byName = new Map(services.map((s) => [s.name, s]))
  const depth = new Map<string, number>()
  const depthOf = (name: string, seen: Set<string>): number => {
    const cached = depth.get(name)
    if (cached !== undefined) return cached
    if (seen.has(name)) return 0
    seen.add(name)
    const deps = byName.get(name)!.dependsOn.filter((d) => byName.has(d))
    const d = deps.length === 0 ? 0 : 1 + Math.max(...deps.map((dep) => depthOf(dep, seen)))
    seen.delete(name)
    depth.set(name, d)
    return d
  }
  const layers: string[][] = []
  for (const s of services) (layers[depthOf(s.name, new Set())] ??= []).push(s.name)
  const rows = new Map<string, number>()
  let row = 0
  for (const layer of layers) {
    if (!layer) continue
    layer.forEach((name, i) => rows.set(name, row + Math.floor(i / MAX_PER_ROW)))
    row += Math.ceil(layer.length / MAX_PER_ROW)
  }
  return rows
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
