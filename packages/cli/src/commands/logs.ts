// `svc logs [service…] [-f] [-n N]`: the running manager's log buffers, optionally followed live.

import { InvalidArgumentError, type Command } from 'commander'
import type { LogLine } from '@services-cluster/core'
import { EXIT } from '../errors.js'
import { escapeControl, logFormatter, logJson } from '../output/log-prefix.js'
import { action, optionsOf } from './action.js'
import { connectProject } from './project.js'

interface LogsOptions {
  follow?: boolean
  lines: number
  timestamps?: boolean
}

export function registerLogs(program: Command): void {
  program
    .command('logs')
    .description("print the services' recent output (stdout and stderr), merged in time order")
    .argument('[services...]', 'only these services (default: all)')
    .option('-f, --follow', 'keep printing new lines until Ctrl-C or the manager stops')
    .option('-n, --lines <n>', 'how many recent lines to print first', count, 100)
    .option('-t, --timestamps', 'prefix each line with its time')
    .option('--json', 'one JSON object per line: {at, service, stream, line}')
    .action(
      action(async (services: string[], _opts: LogsOptions, command: Command) => {
        const opts = optionsOf<LogsOptions>(command)
        const { client } = await connectProject(opts.config)
        const format = opts.json ? logJson : logFormatter(client.info.services, { timestamps: opts.timestamps })
        const print = (line: LogLine) => process.stdout.write(format(line) + '\n')
        client.on('log', print)
        const { lines } = await client.request('logs', {
          ...(services.length ? { services } : {}),
          limit: opts.lines,
          follow: opts.follow === true,
        })
        for (const line of lines) print(line)
        if (!opts.follow) {
          client.close()
          return EXIT.ok
        }
        let closing: { reason: string; cutOff?: true } | null = null
        let interrupted = false
        client.on('closing', (info) => (closing = info))
        await new Promise<void>((resolve) => {
          client.once('close', resolve)
          process.once('SIGINT', () => {
            interrupted = true
            client.close()
          })
        })
        return interrupted ? EXIT.ok : followEnded(closing)
      }),
    )
}

// Following ends without Ctrl-C only when the manager hangs up: say why, on stderr, so a script can tell.
function followEnded(closing: { reason: string; cutOff?: true } | null): number {
  const say = (text: string) => process.stderr.write(`svc: ${escapeControl(text)}\n`)
  if (closing?.cutOff) {
    say(`the manager disconnected this client (${closing.reason}).`)
    return EXIT.failure
  }
  if (closing) {
    say(`the manager stopped (${closing.reason}).`)
    return EXIT.notRunning
  }
  say('the connection to the manager was lost without a reason: did it crash? Check with `svc ps`.')
  return EXIT.failure
}

function count(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number ≥ 0.')
  return n
}
