// `envFile`: dotenv files read into a service's environment, in order (a later file wins), with Node's own parser.

import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { parseEnv } from 'node:util'
import { svcError } from '../errors.js'

export function readEnvFiles(service: string, files: readonly string[], cwd: string): Record<string, string> {
  const env: Record<string, string> = {}
  for (const file of files) {
    const path = resolve(cwd, file)
    let text: string
    try {
      text = readFileSync(path, 'utf8')
    } catch (cause) {
      throw svcError('SVC_ERR_ENV_FILE', `Service "${service}": envFile "${file}" cannot be read (${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}; looked at ${path}). Create it, or remove it from envFile.`, {
        service,
        cause,
        details: { field: 'envFile', file: path },
      })
    }
    Object.assign(env, parseEnv(text))
  }
  return env
}
