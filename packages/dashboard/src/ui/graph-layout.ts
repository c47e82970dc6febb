// Where each box goes: services in layers by dependency depth (the longest path down to a service that
// depends on nothing), dependencies above their dependents, so every arrow points up. Wide layers wrap.
// Pure: the unit tests import it directly.

export interface GraphInput {
  name: string
  dependsOn: string[]
}

export interface Placed {
  name: string
  layer: number
  x: number
  y: number
}

export interface Layout {
  boxes: Map<string, Placed>
  edges: { from: string; to: string }[]
  width: number
  height: number
}

export const BOX = { width: 150, height: 46, gapX: 22, gapY: 54, margin: 16 } as const
const MAX_PER_ROW = 10

export function layoutGraph(services: GraphInput[]): Layout {
  const known = new Map(services.map((s) => [s.name, s]))
  const depth = new Map<string, number>()
  // Longest path to a root; the manager refuses cycles, but a guard keeps a bad input from looping.
  const depthOf = (name: string, seen: Set<string>): number => {
    const cached = depth.get(name)
    if (cached !== undefined) return cached
    if (seen.has(name)) return 0
    seen.add(name)
    const deps = known.get(name)!.dependsOn.filter((d) => known.has(d))
    const d = deps.length === 0 ? 0 : 1 + Math.max(...deps.map((dep) => depthOf(dep, seen)))
    seen.delete(name)
    depth.set(name, d)
    return d
  }
  const layers: string[][] = []
  for (const s of services) (layers[depthOf(s.name, new Set())] ??= []).push(s.name)

  const boxes = new Map<string, Placed>()
  let row = 0
  let widest = 0
  layers.forEach((names, layer) => {
    // Under the middle of what they depend on, which keeps arrows short and crossings few.
    const centre = (name: string) => {
      const xs = known.get(name)!.dependsOn.map((d) => boxes.get(d)?.x).filter((x): x is number => x !== undefined)
      return xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length
    }
    const ordered = [...names].sort((a, b) => centre(a) - centre(b) || a.localeCompare(b))
    for (let start = 0; start < ordered.length; start += MAX_PER_ROW) {
      const chunk = ordered.slice(start, start + MAX_PER_ROW)
      widest = Math.max(widest, chunk.length)
      chunk.forEach((name, i) => boxes.set(name, { name, layer, x: i, y: row }))
      row++
    }
  })
  // Centre every row in the widest one, then turn slots into coordinates.
  const rowLength = new Map<number, number>()
  for (const b of boxes.values()) rowLength.set(b.y, (rowLength.get(b.y) ?? 0) + 1)
  for (const b of boxes.values()) {
    const offset = (widest - rowLength.get(b.y)!) / 2
    b.x = BOX.margin + (b.x + offset) * (BOX.width + BOX.gapX)
    b.y = BOX.margin + b.y * (BOX.height + BOX.gapY)
  }
  const edges = services.flatMap((s) => s.dependsOn.filter((d) => known.has(d)).map((d) => ({ from: s.name, to: d })))
  return {
    boxes,
    edges,
    width: BOX.margin * 2 + Math.max(1, widest) * (BOX.width + BOX.gapX) - BOX.gapX,
    height: BOX.margin * 2 + Math.max(1, row) * (BOX.height + BOX.gapY) - BOX.gapY,
  }
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
