// `svc down`: closes every service in reverse dependency order and waits for the manager to exit.

import type { Command } from 'commander'
import { waitForExit } from '../control/lock.js'
import { EXIT } from '../errors.js'
import { out } from '../output/colors.js'
import { action, optionsOf } from './action.js'
import { connectProject } from './project.js'

export function registerDown(program: Command): void {
  program
    .command('down')
    .description('close every service in reverse dependency order and stop the manager (in a cluster on NATS: on every host)')
    .option('--host <id>', "in a cluster on NATS: drain this host: close its part, its singletons moving to the other hosts as they stop here; <id> must be this host's")
    .option('--json', 'print the result as JSON')
    .action(
      action(async (_opts: unknown, command: Command) => {
        const opts = optionsOf<{ host?: string }>(command)
        const { client } = await connectProject(opts.config)
        const gone = new Promise<void>((resolve) => client.once('close', resolve))
        client.on('state', (c) => {
          if (!opts.json && c.to === 'closed') process.stderr.write(`svc: ${c.service} closed\n`)
        })
        await client.request('subscribe', { topics: ['state'] })
        const { closed } = await client.request('down', opts.host === undefined ? {} : { host: opts.host })
        await gone // the manager removes its socket and lock before it ends the connection
        if (!(await waitForExit(client.info.pid, 10_000))) {
          process.stderr.write(`svc: the manager (pid ${client.info.pid}) closed every service but has not exited yet.\n`)
        }
        if (opts.json) process.stdout.write(JSON.stringify({ pid: client.info.pid, closed }) + '\n')
        else process.stderr.write(`${out.green('✔')} manager stopped (pid ${client.info.pid}); closed ${closed.length ? closed.join(', ') : 'nothing'}.\n`)
        return EXIT.ok
      }),
    )
}
