// `svc start|stop|restart <service>`, with the ordering rules: stop and restart close dependents first;
// start brings dependencies up first. Each transition is printed as it happens.

import type { Command } from 'commander'
import { servicesTable } from '../output/services.js'
import { action, optionsOf } from './action.js'
import { connectProject } from './project.js'

const VERBS = {
  start: 'start the service (and what it depends on)',
  stop: 'close the service, its dependents first; it is not restarted until `svc start`',
  restart: 'close the service and its dependents, then start them again in dependency order',
} as const

export function registerLifecycle(program: Command): void {
  for (const [verb, description] of Object.entries(VERBS) as [keyof typeof VERBS, string][]) {
    program
      .command(verb)
      .description(description)
      .argument('<service>', 'the service name')
      .option('--json', 'print the service snapshots afterwards as JSON')
      .action(
        action(async (service: string, _opts: unknown, command: Command) => {
          const opts = optionsOf(command)
          const { client } = await connectProject(opts.config)
          try {
            client.on('state', (c) => {
              if (!opts.json && (c.to === 'running' || c.to === 'closed')) process.stderr.write(`svc: ${c.service} ${c.to}\n`)
            })
            await client.request('subscribe', { topics: ['state'] })
            const services = await client.request(verb, { service })
            process.stdout.write((opts.json ? JSON.stringify(services) : servicesTable(services)) + '\n')
          } finally {
            client.close()
          }
        }),
      )
  }
}
