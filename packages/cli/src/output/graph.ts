// The dependency graph as text, Mermaid or Graphviz dot. An arrow points from a service to what it depends on.

import type { GraphInfo } from '../control/protocol.js'

export type GraphFormat = 'text' | 'mermaid' | 'dot'
export const GRAPH_FORMATS: GraphFormat[] = ['text', 'mermaid', 'dot']

export function renderGraph(graph: GraphInfo, format: GraphFormat): string {
  switch (format) {
    case 'text':
      return text(graph)
    case 'mermaid':
      return mermaid(graph)
    case 'dot':
      return dot(graph)
    default: {
      const unknown: never = format
      throw new Error(`unknown graph format ${String(unknown)}`)
    }
  }
}

function text(graph: GraphInfo): string {
  const byName = new Map(graph.services.map((s) => [s.name, s.dependsOn]))
  const width = Math.max(...graph.startOrder.map((n) => n.length))
  const lines = graph.startOrder.map((name) => {
    const deps = byName.get(name) ?? []
    return deps.length ? `${name.padEnd(width)} → ${deps.join(', ')}` : name
  })
  lines.push('', `start order: ${graph.startOrder.join(' → ')}`)
  lines.push(`close order: ${[...graph.startOrder].reverse().join(' → ')}`)
  return lines.join('\n')
}

function mermaid(graph: GraphInfo): string {
  // Mermaid ids cannot hold every character a service name may: use s0, s1… with the name as label.
  const id = new Map(graph.startOrder.map((n, i) => [n, `s${i}`]))
  const lines = ['graph TD']
  for (const name of graph.startOrder) lines.push(`  ${id.get(name)}["${name}"]`)
  for (const s of graph.services) for (const d of s.dependsOn) lines.push(`  ${id.get(s.name)} --> ${id.get(d)}`)
  return lines.join('\n')
}

function dot(graph: GraphInfo): string {
  const lines = ['digraph services {', '  rankdir=LR;']
  for (const name of graph.startOrder) lines.push(`  "${name}";`)
  for (const s of graph.services) for (const d of s.dependsOn) lines.push(`  "${s.name}" -> "${d}";`)
  lines.push('}')
  return lines.join('\n')
}
