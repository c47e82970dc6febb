// The dependency graph as text, Mermaid or Graphviz dot. An arrow points from a service to what it depends on.

import type { DependencyCondition, DependencyGraph } from '@services-cluster/core'
import type { GraphInfo } from '../control/protocol.js'

export type GraphFormat = 'text' | 'mermaid' | 'dot'
export const GRAPH_FORMATS: GraphFormat[] = ['text', 'mermaid', 'dot']

/** The graph as `svc graph` and the control socket's `graph` method give it: the same for both. */
export function graphInfo(graph: DependencyGraph, conditionsOf: (name: string) => Record<string, DependencyCondition>): GraphInfo {
  return {
    services: graph.names.map((name) => ({ name, dependsOn: graph.dependenciesOf(name), conditions: conditionsOf(name) })),
    startOrder: graph.startOrder(),
  }
}

// An edge is labelled with its condition only when that is not the default, 'ready'.
function condition(graph: GraphInfo['services'][number], dependency: string): string | null {
  const c = graph.conditions?.[dependency] // absent from a manager older than conditions
  return c && c !== 'ready' ? c : null
}

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
  const byName = new Map(graph.services.map((s) => [s.name, s]))
  const width = Math.max(...graph.startOrder.map((n) => n.length))
  const lines = graph.startOrder.map((name) => {
    const service = byName.get(name)
    const deps = (service?.dependsOn ?? []).map((d) => {
      const c = condition(service!, d)
      return c ? `${d} (${c})` : d
    })
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
  for (const s of graph.services) {
    for (const d of s.dependsOn) {
      const c = condition(s, d)
      lines.push(`  ${id.get(s.name)} -->${c ? `|${c}|` : ''} ${id.get(d)}`)
    }
  }
  return lines.join('\n')
}

function dot(graph: GraphInfo): string {
  const lines = ['digraph services {', '  rankdir=LR;']
  for (const name of graph.startOrder) lines.push(`  "${name}";`)
  for (const s of graph.services) {
    for (const d of s.dependsOn) {
      const c = condition(s, d)
      lines.push(`  "${s.name}" -> "${d}"${c ? ` [label="${c}"]` : ''};`)
    }
  }
  lines.push('}')
  return lines.join('\n')
}
