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
          process.stdout.write((opts.json ? JSON.stringify(services) : servicesTable(services)) + '\n')
        } finally {
          client.close()
        }
      }),
    )
}
