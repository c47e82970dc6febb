// Turns a load or validation failure into one message that names the file (with a line), the service and the field.

import { ServiceError } from '@services-cluster/core'
import { readFileSync } from 'node:fs'
import { relative } from 'node:path'
import { CliError, cliError } from '../errors.js'

// Which field a graph error is about when core does not say.
const FIELD_OF_CODE: Record<string, string> = {
  SVC_ERR_UNKNOWN_DEPENDENCY: 'dependsOn',
  SVC_ERR_SELF_DEPENDENCY: 'dependsOn',
  SVC_ERR_DEPENDENCY_CYCLE: 'dependsOn',
  SVC_ERR_BAD_NAME: 'name',
  SVC_ERR_DUPLICATE_SERVICE: 'name',
  SVC_ERR_ENTRY_NOT_FOUND: 'entry',
}

const HINT_OF_CODE: Record<string, string> = {
  SVC_ERR_DEPENDENCY_CYCLE: 'Services must form a tree of dependencies: remove one edge of the cycle.',
  SVC_ERR_UNKNOWN_DEPENDENCY: 'Every name in dependsOn must be a key of services.',
  SVC_ERR_ENTRY_NOT_FOUND: 'entry is resolved against the directory of the manifest.',
}

export function manifestFailure(error: unknown, file: string): CliError {
  if (error instanceof CliError) return error
  if (!(error instanceof ServiceError)) return loadFailure(error, file)
  // Several problems are listed in the message; the location then names only what they share.
  const several = Array.isArray(error.details?.problems) && error.details.problems.length > 1
  const field = several ? undefined : typeof error.details?.field === 'string' ? error.details.field : FIELD_OF_CODE[error.code]
  return cliError('SVC_ERR_CLI_MANIFEST', error.message, {
    causeCode: error.code,
    service: error.service,
    field,
    file,
    location: describeLocation(file, error.service, field),
    hint: HINT_OF_CODE[error.code] ?? 'Fix the manifest, then check it with `svc validate`.',
    cause: error,
  })
}

export function loadFailure(error: unknown, file: string): CliError {
  const raw = error instanceof Error ? error.message : String(error)
  const [first = raw, ...rest] = raw.split('\n').map((l) => l.trim()).filter(Boolean)
  // jiti reports parse errors as "ParseError: Unexpected token\n /abs/file.ts:4:39".
  const where = rest.find((l) => /:\d+:\d+$/.test(l))
  const location = where ? shortPath(where) : shortPath(file)
  const missing = (error as { code?: string }).code === 'MODULE_NOT_FOUND' || /Cannot find (module|package)/.test(first)
  return cliError('SVC_ERR_CLI_CONFIG_LOAD', `Could not load the manifest: ${first}`, {
    file,
    location,
    hint: missing
      ? 'An import of the manifest was not found: check the path, or install the package.'
      : 'Fix the error in the manifest (run `npx tsc --noEmit` for full type checking).',
    cause: error,
  })
}

/** "svc.config.ts:7 › service "front" › dependsOn", with the line of the service's key when it can be found. */
export function describeLocation(file: string, service: string | undefined, field: string | undefined): string {
  const line = service ? lineOfService(file, service) : undefined
  const parts = [line ? `${shortPath(file)}:${line}` : shortPath(file)]
  if (service !== undefined) parts.push(`service "${service}"`)
  if (field !== undefined && field !== 'name') parts.push(field)
  return parts.join(' › ')
}

function lineOfService(file: string, service: string): number | undefined {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
  const escaped = service.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const key = new RegExp(`^\\s*(['"\`]?)${escaped}\\1\\s*:`)
  const index = text.split('\n').findIndex((l) => key.test(l))
  return index === -1 ? undefined : index + 1
}

function shortPath(path: string): string {
  const rel = relative(process.cwd(), path)
  return rel && !rel.startsWith('..') ? rel : path
}
