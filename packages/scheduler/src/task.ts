// What a task is (its definition, as users write it) and how a definition is checked.

import { CronExpressionParser } from 'cron-parser'
import { parseDuration } from './duration.js'
import { ErrorCodes, SchedulerError, invalidTask } from './errors.js'

export interface CallTarget {
  service: string
  method: string
  args?: unknown[]
  /** Append a RunInfo ({ task, trigger, scheduledAt, slot, token }) as the last argument: lets the callee
   *  refuse stale runs by fencing token. Default false. */
  withRun?: boolean
}

export interface TaskDefinition {
  name: string
  /** Interval: '30s', '5m', '250ms', '1h' or a number of ms. Exactly one of `every` and `cron`. */
  every?: string | number
  /** Cron expression (5 fields, or 6 with seconds first). */
  cron?: string
  /** IANA time zone for `cron`; UTC when absent. */
  tz?: string
  /** Call a service method. Exactly one of `call` and `module`. */
  call?: CallTarget
  /** Path to a task module (default export `async (input, { signal }) => result`), relative to moduleBaseDir. */
  module?: string
  /** Passed as the first argument to a module task. */
  input?: unknown
  timeoutMs?: number
  enabled?: boolean
}

// A validated definition with its schedule parsed once.
export interface ParsedTask {
  definition: TaskDefinition
  everyMs?: number
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/

export function validateTask(raw: unknown): ParsedTask {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw invalidTask(undefined, 'name', 'is missing: a task definition must be an object with a "name"')
  }
  const def = raw as Record<string, unknown>
  const name = def.name
  if (typeof name !== 'string' || name.length === 0) {
    throw invalidTask(undefined, 'name', 'is missing or empty: every task needs a unique name')
  }
  if (!NAME.test(name)) {
    throw invalidTask(name, 'name', 'must start with a letter or digit and use only letters, digits, ".", "_", ":" or "-" (at most 128)')
  }

  const hasEvery = def.every !== undefined
  const hasCron = def.cron !== undefined
  if (hasEvery === hasCron) {
    throw invalidTask(name, hasEvery ? 'every' : 'every|cron', 'conflicts: give exactly one of "every" and "cron"')
  }
  let everyMs: number | undefined
  if (hasEvery) {
    everyMs = parseDuration(def.every)
    if (everyMs === undefined) {
      throw new SchedulerError(
        ErrorCodes.DURATION_INVALID,
        `Task "${name}": field "every" is ${JSON.stringify(def.every)}, not a duration. Use a positive number of ms or '250ms', '30s', '5m', '1h'.`,
        { task: name, field: 'every' },
      )
    }
  } else {
    checkCron(name, def.cron, def.tz)
  }

  const hasCall = def.call !== undefined
  const hasModule = def.module !== undefined
  if (hasCall === hasModule) {
    throw invalidTask(name, hasCall ? 'call' : 'call|module', 'conflicts: give exactly one of "call" and "module"')
  }
  if (hasCall) checkCall(name, def.call)
  if (hasModule && (typeof def.module !== 'string' || def.module.length === 0)) {
    throw invalidTask(name, 'module', 'must be a non-empty path to a task module')
  }
  if (def.timeoutMs !== undefined && !(typeof def.timeoutMs === 'number' && Number.isFinite(def.timeoutMs) && def.timeoutMs > 0)) {
    throw invalidTask(name, 'timeoutMs', 'must be a positive number of milliseconds')
  }
  if (def.enabled !== undefined && typeof def.enabled !== 'boolean') {
    throw invalidTask(name, 'enabled', 'must be true or false')
  }
  if (hasModule && def.input !== undefined && !isJson(def.input)) {
    throw invalidTask(name, 'input', 'must be plain JSON (it is persisted and sent to a worker thread)')
  }
  return { definition: { ...(def as unknown as TaskDefinition) }, everyMs }
}

function checkCron(name: string, cron: unknown, tz: unknown): void {
  if (tz !== undefined && typeof tz !== 'string') throw invalidTask(name, 'tz', 'must be an IANA time zone name')
  const fail = (why: string, cause?: unknown) =>
    new SchedulerError(
      ErrorCodes.CRON_INVALID,
      `Task "${name}": field "cron" ${JSON.stringify(cron)} is not a valid cron expression (${why}). Example: '*/5 * * * *'.`,
      { task: name, field: 'cron', cause },
    )
  if (typeof cron !== 'string' || cron.trim() === '') throw fail('expected a non-empty string')
  const fields = cron.trim().split(/\s+/).length
  // cron-parser also accepts 1-4 fields by padding; a user who wrote 3 fields almost surely made a mistake.
  if (!cron.trim().startsWith('@') && (fields < 5 || fields > 6)) throw fail(`${fields} fields, expected 5 or 6`)
  try {
    CronExpressionParser.parse(cron, { tz: tz as string | undefined, strict: false }).next()
  } catch (error) {
    throw fail(error instanceof Error ? error.message : String(error), error)
  }
}

function checkCall(name: string, call: unknown): void {
  if (typeof call !== 'object' || call === null) throw invalidTask(name, 'call', 'must be { service, method, args? }')
  const { service, method, args, withRun } = call as Record<string, unknown>
  if (typeof service !== 'string' || service === '') throw invalidTask(name, 'call.service', 'must name the service to call')
  if (typeof method !== 'string' || method === '') throw invalidTask(name, 'call.method', 'must name the method to call')
  if (args !== undefined && (!Array.isArray(args) || !isJson(args))) {
    throw invalidTask(name, 'call.args', 'must be an array of JSON values')
  }
  if (withRun !== undefined && typeof withRun !== 'boolean') throw invalidTask(name, 'call.withRun', 'must be true or false')
}

function isJson(value: unknown): boolean {
  try {
    return JSON.stringify(value) !== undefined
  } catch {
    return false
  }
}
