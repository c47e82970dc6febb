// The field checks behind normalizeManifest: each names its field, says what is accepted, and records the problem
// instead of throwing, so that one run reports every problem in the manifest.

import { svcError, type ServiceError } from '../errors.js'

/** setTimeout and setInterval fire after 1 ms for anything longer (Node's TimeoutOverflowWarning). */
export const MAX_TIMER_MS = 2 ** 31 - 1

/** Counts stay 32-bit: log lines are kept in an array of this length. */
const MAX_COUNT = 2 ** 31 - 1

export interface ManifestProblem {
  /** The service it concerns; absent for top-level fields. */
  service?: string
  /** The field within the service (`restart.backoff.jitter`), or the top-level field. */
  field: string
  /** The whole path from the manifest's root: `services.api.restart.backoff.jitter`. */
  path: string
  message: string
}

type Fields = Record<string, unknown>

/** Checks the fields of one service (or of the top level, with service null), recording into a shared list. */
export class Checker {
  constructor(readonly problems: ManifestProblem[], readonly service: string | null) {}

  forService(name: string): Checker {
    return new Checker(this.problems, name)
  }

  fail(field: string, problem: string): void {
    this.#push(field, `${this.service === null ? "The manifest's" : `Service "${this.service}":`} ${field} ${problem}.`)
  }

  #push(field: string, message: string): void {
    const service = this.service
    if (service === null) this.problems.push({ field, path: field, message })
    else this.problems.push({ service, field, path: `services.${service}.${field}`, message })
  }

  /** An optional object whose keys must all be known; undefined when absent or not an object. */
  object(value: unknown, field: string, known: readonly string[], accepted = 'an object'): Fields | undefined {
    if (value === undefined) return undefined
    if (!isObject(value)) {
      this.fail(field, `must be ${accepted}, not ${describe(value)}`)
      return undefined
    }
    this.knownKeys(value, field, known)
    return value
  }

  // A misspelt field would otherwise be ignored silently (jiti strips types, so tsc is the only other guard).
  knownKeys(value: Fields, field: string | null, known: readonly string[]): void {
    const owner = this.service === null ? 'The manifest' : `Service "${this.service}"`
    for (const key of Object.keys(value)) {
      if (known.includes(key)) continue
      const where = field === null ? owner : `${owner}: ${field}`
      this.#push(field === null ? key : `${field}.${key}`, `${where} has an unknown field "${key}"${hint(key, known)}. Known fields: ${known.join(', ')}.`)
    }
  }

  /** Whole milliseconds a timer can wait: from `min` (0 or 1) up to setTimeout's limit. */
  ms(value: unknown, field: string, fallback: number, min = 1): number {
    if (value === undefined) return fallback
    if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= MAX_TIMER_MS) return value
    this.fail(field, `must be whole milliseconds from ${min} to ${MAX_TIMER_MS} (setTimeout's limit), not ${describe(value)}`)
    return fallback
  }

  /** A whole number of things, from `min` (0 or 1) up to `max`. */
  count(value: unknown, field: string, fallback: number, min = 1, max = MAX_COUNT): number {
    if (value === undefined) return fallback
    if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value
    this.fail(field, `must be a whole number from ${min} to ${max}, not ${describe(value)}`)
    return fallback
  }

  /** A finite number in [min, max], or above min when `above` is set. */
  number(value: unknown, field: string, fallback: number, range: { min: number; max?: number; above?: boolean }): number {
    if (value === undefined) return fallback
    const { min, max = Number.MAX_VALUE, above = false } = range
    if (typeof value === 'number' && Number.isFinite(value) && (above ? value > min : value >= min) && value <= max) return value
    const accepted = range.max === undefined ? `a finite number ${above ? 'greater than' : '≥'} ${min}` : `a number from ${min} to ${max}`
    this.fail(field, `must be ${accepted}, not ${describe(value)}`)
    return fallback
  }

  flag(value: unknown, field: string): boolean | undefined {
    if (value === undefined || typeof value === 'boolean') return value
    this.fail(field, `must be true or false, not ${describe(value)}`)
    return undefined
  }

  text(value: unknown, field: string, what = 'a non-empty string'): string | undefined {
    if (value === undefined) return undefined
    if (typeof value === 'string' && value !== '') return value
    this.fail(field, `must be ${what}, not ${describe(value)}`)
    return undefined
  }

  /** An array of non-empty strings (service names). */
  names(value: unknown, field: string): string[] | undefined {
    if (value === undefined) return undefined
    if (Array.isArray(value) && value.every((v) => typeof v === 'string' && v !== '')) return value as string[]
    this.fail(field, `must be an array of service names, such as ["db"], not ${describe(value)}`)
    return undefined
  }

  /** An object of string values (environment variables). */
  strings(value: unknown, field: string): Record<string, string> {
    if (value === undefined) return {}
    if (!isObject(value)) {
      this.fail(field, `must be an object of strings, such as { LOG_LEVEL: "debug" }, not ${describe(value)}`)
      return {}
    }
    for (const [key, v] of Object.entries(value)) {
      if (typeof v !== 'string') this.fail(`${field}.${key}`, `must be a string, not ${describe(v)}: write it in quotes`)
    }
    return value as Record<string, string>
  }
}

/** One SVC_ERR_MANIFEST_INVALID that carries every problem, in its message and in details.problems. */
export function manifestInvalid(problems: ManifestProblem[]): ServiceError {
  const first = problems[0]!
  const services = new Set(problems.map((p) => p.service))
  const service = services.size === 1 ? first.service : undefined
  const message =
    problems.length === 1
      ? first.message
      : `The manifest has ${problems.length} problems; fix each:\n${problems.map((p) => `  - ${p.message}`).join('\n')}`
  return svcError('SVC_ERR_MANIFEST_INVALID', message, { service, details: { field: first.field, problems } })
}

export function isObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** How a rejected value is named in a message. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (Array.isArray(value)) return 'an array'
  if (value === null) return 'null'
  if (typeof value === 'object') return 'an object'
  if (typeof value === 'function') return 'a function'
  return String(value)
}

// "did you mean …?" for a field one or two edits away from a known one (fewer for short keys: "id" is not "fs").
export function hint(key: string, known: readonly string[]): string {
  const edits = Math.min(2, Math.floor(key.length / 3))
  const near = known.find((k) => distance(k.toLowerCase(), key.toLowerCase()) <= edits)
  return near ? ` (did you mean "${near}"?)` : ''
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const next = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1))
      prev = row[j]!
      row[j] = next
    }
  }
  return row[b.length]!
}
