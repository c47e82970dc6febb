// `svc graph`: the dependency graph of the manifest (no running manager needed).

import { Option, type Command } from 'commander'
import { loadManifest } from '../manifest/load.js'
import { GRAPH_FORMATS, renderGraph, type GraphFormat } from '../output/graph.js'
import type { GraphInfo } from '../control/protocol.js'
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
        const graph: GraphInfo = {
          services: resolved.graph.names.map((name) => ({ name, dependsOn: resolved.graph.dependenciesOf(name) })),
          startOrder: resolved.graph.startOrder(),
        }
        process.stdout.write((opts.json ? JSON.stringify(graph) : renderGraph(graph, opts.format)) + '\n')
      }),
    )
}
