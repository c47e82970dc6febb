// Every error the CLI raises itself: a stable code, an exit code, and a hint that says what to do next.

import { isAbsolute, relative } from 'node:path'

export type CliErrorCode =
  | 'SVC_ERR_CLI_CONFIG_NOT_FOUND'
  | 'SVC_ERR_CLI_CONFIG_LOAD'
  | 'SVC_ERR_CLI_MANIFEST'
  | 'SVC_ERR_CLI_USAGE'
  | 'SVC_ERR_CLI_NOT_RUNNING'
  | 'SVC_ERR_CLI_ALREADY_RUNNING'
  | 'SVC_ERR_CLI_SOCKET_PATH'
  | 'SVC_ERR_CLI_PROTOCOL'
  | 'SVC_ERR_CLI_CONNECTION_LOST'
  | 'SVC_ERR_CLI_REQUEST_TIMEOUT'
  | 'SVC_ERR_CLI_REMOTE'
  | 'SVC_ERR_CLI_START_FAILED'
  | 'SVC_ERR_CLI_DAEMON'
  | 'SVC_ERR_CLI_DASHBOARD'
  /** Sent by the manager to a control client whose request line broke a bound (docs/cli.md), before it hangs up. */
  | 'SVC_ERR_CLI_LINE_TOO_LONG'
  | 'SVC_ERR_CLI_LINE_TIMEOUT'

/** 0 ok, 1 runtime failure, 2 usage or manifest error, 3 no running manager. */
export const EXIT = { ok: 0, failure: 1, usage: 2, notRunning: 3, interrupted: 130 } as const

const EXIT_CODE_OF: Record<CliErrorCode, number> = {
  SVC_ERR_CLI_CONFIG_NOT_FOUND: EXIT.usage,
  SVC_ERR_CLI_CONFIG_LOAD: EXIT.usage,
  SVC_ERR_CLI_MANIFEST: EXIT.usage,
  SVC_ERR_CLI_USAGE: EXIT.usage,
  SVC_ERR_CLI_SOCKET_PATH: EXIT.usage,
  SVC_ERR_CLI_NOT_RUNNING: EXIT.notRunning,
  SVC_ERR_CLI_ALREADY_RUNNING: EXIT.failure,
  SVC_ERR_CLI_PROTOCOL: EXIT.failure,
  SVC_ERR_CLI_CONNECTION_LOST: EXIT.failure,
  SVC_ERR_CLI_REQUEST_TIMEOUT: EXIT.failure,
  SVC_ERR_CLI_REMOTE: EXIT.failure,
  SVC_ERR_CLI_START_FAILED: EXIT.failure,
  SVC_ERR_CLI_DAEMON: EXIT.failure,
  SVC_ERR_CLI_DASHBOARD: EXIT.failure,
  SVC_ERR_CLI_LINE_TOO_LONG: EXIT.failure,
  SVC_ERR_CLI_LINE_TIMEOUT: EXIT.failure,
}

export interface CliErrorFacts {
  /** The next thing to try, shown on its own line. */
  hint?: string
  /** Where the problem is: "svc.config.ts:7 › service \"front\" › dependsOn". */
  location?: string
  /** The code of the underlying error when it is more precise than ours (SVC_ERR_DEPENDENCY_CYCLE...). */
  cause?: unknown
  causeCode?: string
  service?: string
  field?: string
  file?: string
  /** Overrides the exit code that goes with `code`. */
  exitCode?: number
}

export class CliError extends Error {
  override name = 'CliError'
  readonly code: CliErrorCode
  readonly exitCode: number
  readonly hint: string | undefined
  readonly location: string | undefined
  readonly causeCode: string | undefined
  readonly service: string | undefined
  readonly field: string | undefined
  readonly file: string | undefined

  constructor(code: CliErrorCode, message: string, facts: CliErrorFacts = {}) {
    super(message, facts.cause === undefined ? undefined : { cause: facts.cause })
    this.code = code
    this.exitCode = facts.exitCode ?? EXIT_CODE_OF[code]
    this.hint = facts.hint
    this.location = facts.location
    this.causeCode = facts.causeCode
    this.service = facts.service
    this.field = facts.field
    this.file = facts.file
  }

  /** The code people should search for: the precise one from core when there is one. */
  get displayCode(): string {
    return this.causeCode ?? this.code
  }

  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = { code: this.displayCode, message: this.message }
    for (const key of ['hint', 'location', 'service', 'field', 'file'] as const) if (this[key] !== undefined) out[key] = this[key]
    return out
  }
}

/** A path under the current directory, relative to it (`services/bad.ts:3:7`); any other as it is. */
export function shortPath(path: string, from: string = process.cwd()): string {
  const rel = relative(from, path)
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path
}

export function cliError(code: CliErrorCode, message: string, facts?: CliErrorFacts): CliError {
  return new CliError(code, message, facts)
}

export function notRunning(project: string, socketPath: string): CliError {
  return cliError('SVC_ERR_CLI_NOT_RUNNING', `No manager is running for ${project} (no control socket at ${socketPath}).`, {
    hint: 'Start one with `svc up` (or `svc up --detach` to run it in the background).',
  })
}
