// `svc scale <service> <n>`, `svc reload [service...]` and `svc kill <service|service#n>`: the instances of a
// service, changed on the running manager.

import { InvalidArgumentError, type Command } from 'commander'
import { instanceCount } from '@services-cluster/dashboard/format'
import { servicesTable } from '../output/services.js'
import { action, optionsOf } from './action.js'
import { connectProject } from './project.js'

export function registerInstances(program: Command): void {
  program
    .command('scale')
    .description('set how many instances the service runs: new ones start, surplus ones finish their calls and close')
    .argument('<service>', 'the service name')
    .argument('<instances>', 'how many instances (a whole number ≥ 1)', count)
    .option('--json', 'print the service snapshots afterwards as JSON')
    .action(
      action(async (service: string, instances: number, _opts: unknown, command: Command) => {
        const opts = optionsOf(command)
        const { client } = await connectProject(opts.config)
        try {
          // No timeout: new instances take as long as their start does, surplus ones as long as their drain.
          const { ms, services } = await client.request('scale', { service, instances })
          if (opts.json) {
            process.stdout.write(JSON.stringify(services) + '\n')
            return
          }
          const snapshot = services.find((s) => s.name === service)
          const running = snapshot?.state === 'running' ? ` (${instanceCount(snapshot)} running)` : ` (it is ${snapshot?.display ?? 'gone'}: the count applies at its next start)`
          process.stdout.write(`scaled ${service} to ${plural(instances)}${running} in ${ms} ms\n`)
        } finally {
          client.close()
        }
      }),
    )

  program
    .command('reload')
    .description('replace the instances of the services (default: every running one, in dependency order) one at a time, without downtime')
    .argument('[services...]', 'the service names')
    .option('--json', 'print what was reloaded and the service snapshots as JSON')
    .action(
      action(async (names: string[], _opts: unknown, command: Command) => {
        const opts = optionsOf(command)
        const { client } = await connectProject(opts.config)
        try {
          const result = await client.request('reload', names.length > 0 ? { services: names } : {})
          if (opts.json) {
            process.stdout.write(JSON.stringify(result) + '\n')
            return
          }
          if (result.reloaded.length === 0) process.stdout.write('nothing to reload: no service is running\n')
          for (const r of result.reloaded) process.stdout.write(`reloaded ${r.service} (${plural(r.instances)}) in ${r.ms} ms\n`)
        } finally {
          client.close()
        }
      }),
    )
}

function plural(instances: number): string {
  return `${instances} ${instances === 1 ? 'instance' : 'instances'}`
}

// A number is passed on as it is: the manager says why 0 or 1.5 is refused (SVC_ERR_BAD_INSTANCES).
function count(value: string): number {
  const n = Number(value)
  if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError('expected a number of instances.')
  return n
}

export function registerKill(program: Command): void {
  program
    .command('kill')
    .description('signal the processes of a service, or of one instance (api#1), without the close protocol, as a crash would')
    .argument('<target>', 'a service name, or an instance: <service>#<n>')
    .option('-s, --signal <name>', 'the signal', 'SIGKILL')
    .option('--json', 'print the service snapshots afterwards as JSON')
    .action(
      action(async (target: string, _opts: { signal: string }, command: Command) => {
        const opts = optionsOf<{ signal: string }>(command)
        const { client } = await connectProject(opts.config)
        try {
          const signal = opts.signal.toUpperCase().startsWith('SIG') ? opts.signal.toUpperCase() : `SIG${opts.signal.toUpperCase()}`
          const services = await client.request('kill', { target, signal })
          if (opts.json) {
            process.stdout.write(JSON.stringify(services) + '\n')
            return
          }
          process.stdout.write(`killed ${target} with ${signal}\n${servicesTable(services)}\n`)
        } finally {
          client.close()
        }
      }),
    )
}
