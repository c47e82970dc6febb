// `svc call <service>.<method> [args…]`: calls a service method through the manager and prints the JSON result.

import { InvalidArgumentError, type Command } from 'commander'
import { cliError, EXIT } from '../errors.js'
import { json } from '../output/format.js'
import { action, optionsOf } from './action.js'
import { connectProject } from './project.js'

interface CallOptions {
  timeout?: number
}

export function registerCall(program: Command): void {
  program
    .command('call')
    .description('call a method of a running service and print its result as JSON')
    .argument('<target>', 'service.method, e.g. front.welcome')
    .argument('[args...]', 'arguments, each parsed as JSON (a value that is not JSON is passed as a string)')
    .option('--timeout <ms>', 'give up after this many milliseconds', positive)
    .option('--json', 'compact JSON; errors as {"error":{...}} on stdout')
    .action(
      action(async (target: string, args: string[], _opts: CallOptions, command: Command) => {
        const opts = optionsOf<CallOptions>(command)
        const { service, method } = parseTarget(target)
        const { client } = await connectProject(opts.config)
        try {
          const result = await client.request('call', { service, method, args: args.map(parseArg) }, { timeoutMs: opts.timeout })
          process.stdout.write(json(result, !opts.json && process.stdout.isTTY === true) + '\n')
          return EXIT.ok
        } finally {
          client.close()
        }
      }),
    )
}

export function parseTarget(target: string): { service: string; method: string } {
  // Service names may contain dots; method names do not: split at the last one.
  const dot = target.lastIndexOf('.')
  if (dot <= 0 || dot === target.length - 1) {
    throw cliError('SVC_ERR_CLI_USAGE', `"${target}" is not service.method.`, { hint: 'Example: svc call front.welcome \'"Ada"\'' })
  }
  return { service: target.slice(0, dot), method: target.slice(dot + 1) }
}

export function parseArg(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

function positive(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a whole number of milliseconds > 0.')
  return n
}
