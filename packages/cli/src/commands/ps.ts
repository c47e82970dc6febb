// `svc ps`: name, state, pid, uptime, restarts, CPU, memory, dependencies.

import type { Command } from 'commander'
import { servicesTable } from '../output/services.js'
import { action, optionsOf } from './action.js'
import { connectProject } from './project.js'

export function registerPs(program: Command): void {
  program
    .command('ps')
    .description('list the services of the running manager')
    .option('--json', 'print the service snapshots as JSON')
    .action(
      action(async (_opts: unknown, command: Command) => {
        const opts = optionsOf(command)
        const { client } = await connectProject(opts.config)
        try {
          const services = await client.request('ps', {})
          if (opts.json) {
            process.stdout.write(JSON.stringify(services) + '\n')
            return
          }
          process.stdout.write(servicesTable(services) + '\n')
          // Node pools (scheduler cluster mode): which pool, this node, its state, the members.
          const pools = await client.request('cluster', {})
          for (const p of pools) {
            process.stdout.write(`pool ${p.pool} (${p.service}): ${p.state}, this node ${p.nodeId}, members: ${p.members.join(', ') || '-'}\n`)
          }
        } finally {
          client.close()
        }
      }),
    )
}
