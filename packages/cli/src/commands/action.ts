// How every command ends: its exit code, or an error printed as one line plus location and hint (no stack traces).

import type { Command } from 'commander'
import { debuglog } from 'node:util'
import { CliError, EXIT } from '../errors.js'
import { RemoteError } from '../control/client.js'
import { err } from '../output/colors.js'

const trace = debuglog('svc:cli')

export interface GlobalOptions {
  config?: string
  json?: boolean
}

/** The options of a command merged with the program's (-c/--config). */
export function optionsOf<T>(command: Command): T & GlobalOptions {
  return command.optsWithGlobals() as T & GlobalOptions
}

/** Wraps a command action: its resolved value is the exit code; a thrown error is reported and mapped to one. */
export function action<Args extends unknown[]>(run: (...args: Args) => Promise<number | void>): (...args: Args) => Promise<void> {
  return async (...args) => {
    const command = args[args.length - 1] as Command
    try {
      process.exitCode = (await run(...args)) ?? EXIT.ok
    } catch (error) {
      process.exitCode = report(error, command.optsWithGlobals().json === true)
    }
  }
}

export function report(error: unknown, json: boolean): number {
  if (error instanceof CliError) {
    trace('%s', error.stack)
    if (json) {
      const body = error instanceof RemoteError && error.remote ? { ...error.toJSON(), remote: { ...error.remote, stack: undefined } } : error.toJSON()
      process.stdout.write(JSON.stringify({ error: body }) + '\n')
    } else process.stderr.write(formatError(error) + '\n')
    return error.exitCode
  }
  // Not a user error: a bug or an unexpected failure. Still one line; the stack with NODE_DEBUG=svc:cli.
  const e = error as Error
  trace('%s', e?.stack)
  process.stderr.write(`${err.red('error')}: ${e?.message ?? String(error)}\n  ${err.dim('hint: this looks like a bug in svc; rerun with NODE_DEBUG=svc:cli for the stack trace.')}\n`)
  return EXIT.failure
}

export function formatError(error: CliError): string {
  const lines = [`${err.red('error')} ${err.bold(error.displayCode)}: ${error.message}`]
  if (error.location) lines.push(`  ${err.dim('at')} ${error.location}`)
  if (error.hint) lines.push(`  ${err.dim('hint:')} ${error.hint}`)
  return lines.join('\n')
}
