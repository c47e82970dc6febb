// `svc validate`: loads and checks the manifest with the same code `svc up` runs (every field, names, dependencies,
// cycles, entries, permissions); starts nothing.

import type { Command } from 'commander'
import { relative } from 'node:path'
import { CliError } from '../errors.js'
import { loadManifest } from '../manifest/load.js'
import { out } from '../output/colors.js'
import { action, optionsOf } from './action.js'

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('check the manifest without starting anything (exit 2 when it is invalid)')
    .option('--json', 'print {valid, file, services, startOrder} or {valid: false, error: {..., problems}} as JSON')
    .action(
      action(async (_opts: unknown, command: Command) => {
        const opts = optionsOf(command)
        let loaded
        try {
          loaded = await loadManifest({ config: opts.config })
        } catch (error) {
          if (opts.json && error instanceof CliError) {
            // Every problem of the manifest, each with its path (services.api.restart.backoff.jitter).
            const problems = (error.cause as { details?: { problems?: unknown } } | undefined)?.details?.problems
            process.stdout.write(JSON.stringify({ valid: false, error: { ...error.toJSON(), problems } }) + '\n')
            return error.exitCode
          }
          throw error
        }
        const { resolved, file } = loaded
        const startOrder = resolved.graph.startOrder()
        if (opts.json) {
          const services = resolved.services.map((s) => ({ name: s.name, entry: s.entry, dependsOn: s.dependsOn, calls: s.calls, critical: s.critical }))
          process.stdout.write(JSON.stringify({ valid: true, file, services, startOrder }) + '\n')
          return
        }
        process.stdout.write(
          `${out.green('✔')} ${relative(process.cwd(), file) || file} is valid: ${resolved.services.length} services\n` +
            `  start order: ${startOrder.join(' → ')}\n`,
        )
      }),
    )
}
