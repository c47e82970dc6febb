#!/usr/bin/env node
// The `svc` binary: commander wiring, broken-pipe safety and exit codes (0 ok, 1 failure, 2 usage/manifest, 3 no manager).

import { Command, CommanderError } from 'commander'
import { readFileSync } from 'node:fs'
import { registerApply } from './commands/apply.js'
import { registerCall } from './commands/call.js'
import { registerDown } from './commands/down.js'
import { registerExport } from './commands/export.js'
import { registerGraph } from './commands/graph.js'
import { registerInstances, registerKill } from './commands/instances.js'
import { registerLifecycle } from './commands/lifecycle.js'
import { registerLogs } from './commands/logs.js'
import { registerPs } from './commands/ps.js'
import { registerTop } from './commands/top.js'
import { registerUi } from './commands/ui.js'
import { registerUp } from './commands/up.js'
import { registerValidate } from './commands/validate.js'
import { EXIT } from './errors.js'
import { guardPipes } from './output/pipe.js'

guardPipes()

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }

const program = new Command('svc')
  .description('Run a graph of cooperating Node.js services: start in dependency order, close in reverse.')
  .version(version, '-V, --version')
  .option('-c, --config <file>', 'the manifest (default: svc.config.ts/.mts/.js/.mjs in the current directory)')
  .option('--no-color', 'plain output (also: NO_COLOR=1)')
  .showSuggestionAfterError()
  .exitOverride()
  .configureOutput({ outputError: (text, write) => write(text) })

registerUp(program)
registerDown(program)
registerPs(program)
registerLogs(program)
registerLifecycle(program)
registerInstances(program)
registerKill(program)
registerCall(program)
registerGraph(program)
registerTop(program)
registerUi(program)
registerValidate(program)
registerApply(program)
registerExport(program)

try {
  await program.parseAsync(process.argv)
} catch (error) {
  if (!(error instanceof CommanderError)) throw error
  // Help and --version are not errors; every other parse problem is a usage error.
  process.exitCode = error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0 ? EXIT.ok : EXIT.usage
}

// Leave once everything printed has reached the pipe; a leftover handle must not keep `svc` alive.
const code = Number(process.exitCode ?? 0)
let pending = 2
const done = () => --pending === 0 && process.exit(code)
process.stdout.write('', done)
process.stderr.write('', done)
