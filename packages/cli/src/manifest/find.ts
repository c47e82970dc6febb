// Where the manifest is: `-c/--config`, or the first svc.config.* in the current directory or the nearest folder
// above it that has one (as git and npm find their roots). The project directory is the manifest's directory.

import { existsSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { cliError } from '../errors.js'

export const CONFIG_NAMES = ['svc.config.ts', 'svc.config.mts', 'svc.config.js', 'svc.config.mjs']

export function findConfig(explicit: string | undefined, cwd: string = process.cwd()): string {
  if (explicit) {
    const file = resolve(cwd, explicit)
    if (existsSync(file) && statSync(file).isFile()) return file
    if (existsSync(file) && statSync(file).isDirectory()) return findConfig(undefined, file)
    throw cliError('SVC_ERR_CLI_CONFIG_NOT_FOUND', `The manifest "${explicit}" does not exist (looked at ${file}).`, {
      hint: 'Check the path given to -c/--config.',
    })
  }
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    for (const name of CONFIG_NAMES) {
      const file = join(dir, name)
      if (existsSync(file) && statSync(file).isFile()) return file
    }
    if (dirname(dir) === dir) break
  }
  throw cliError('SVC_ERR_CLI_CONFIG_NOT_FOUND', `No svc.config.ts (or .mts/.js/.mjs) in ${cwd} or any folder above it.`, {
    hint: 'Run svc in your project directory, or name the manifest with -c path/to/svc.config.ts.',
  })
}
