// `svc ui`: the live dashboard of the project's running manager, served from this process until Ctrl-C or
// until the manager stops. Its facts and actions go over the control socket, like every other command.

import type { Command } from 'commander'
import { controlSource } from '../dashboard/control-source.js'
import { dashboardLine, portOption, serveDashboard } from '../dashboard/serve.js'
import { EXIT } from '../errors.js'
import { action, optionsOf } from './action.js'
import { connectProject } from './project.js'

interface UiOptions {
  port: number
}

export function registerUi(program: Command): void {
  program
    .command('ui')
    .description('serve the live dashboard of the running manager on 127.0.0.1 (the printed URL carries its access token)')
    .option('-p, --port <port>', 'port to listen on (0: any free port)', portOption, 0)
    .option('--json', 'print {"url","port"} on stdout once listening')
    .action(
      action(async (_opts: UiOptions, command: Command) => {
        const opts = optionsOf<UiOptions>(command)
        const { client } = await connectProject(opts.config)
        let dashboard
        try {
          dashboard = await serveDashboard(controlSource(client), opts.port, (reason) => process.stderr.write(`svc: ${reason}\n`))
        } catch (error) {
          client.close()
          throw error
        }
        if (opts.json) process.stdout.write(JSON.stringify({ url: dashboard.url, port: dashboard.port }) + '\n')
        process.stderr.write(`${dashboardLine(dashboard.url)}\nsvc: serving until Ctrl-C or until the manager stops\n`)
        const stop = (signal: NodeJS.Signals) => void dashboard.close(`svc ui got ${signal}`)
        process.once('SIGINT', stop)
        process.once('SIGTERM', stop)
        const reason = await dashboard.closed
        await dashboard.close(reason)
        client.close()
        process.off('SIGINT', stop)
        process.off('SIGTERM', stop)
        process.stderr.write(`svc: dashboard closed (${reason})\n`)
        return EXIT.ok
      }),
    )
}
