// `svc graph`: the dependency graph of the manifest (no running manager needed).

import { Option, type Command } from 'commander'
import { loadManifest } from '../manifest/load.js'
import { GRAPH_FORMATS, graphInfo, renderGraph, type GraphFormat } from '../output/graph.js'
import { action, optionsOf } from './action.js'

export function registerGraph(program: Command): void {
  program
    .command('graph')
    .description('print the dependency graph (arrows point to dependencies)')
    .addOption(new Option('--format <format>', 'output format').choices(GRAPH_FORMATS).default('text'))
    .option('--json', 'print {services, startOrder} as JSON')
    .action(
      action(async (_opts: unknown, command: Command) => {
        const opts = optionsOf<{ format: GraphFormat }>(command)
        const { resolved } = await loadManifest({ config: opts.config })
        const conditions = new Map(resolved.services.map((s) => [s.name, s.conditions]))
        const graph = graphInfo(resolved.graph, (name) => conditions.get(name) ?? {})
        process.stdout.write((opts.json ? JSON.stringify(graph) : renderGraph(graph, opts.format)) + '\n')
      }),
    )
}
