// Reads a probe from the manifest (`ready`, and the tcp / exec / url checks of `health`), recording every problem
// in the manifest's words instead of throwing, as the other field checks do.

import { describe, type Checker } from '../manifest/checks.js'
import {
  DEFAULT_INTERVAL_MS,
  DEFAULT_START_GRACE_MS,
  DEFAULT_TCP_HOST,
  DEFAULT_TIMEOUT_MS,
  PROBE_KINDS,
  type ProbeTarget,
  type ResolvedProbe,
} from './types.js'

const TIMING_FIELDS = ['intervalMs', 'timeoutMs', 'startGraceMs'] as const
const ACCEPTED = "{ http: 'http://…' }, { tcp: 6390 }, { exec: ['program', 'arg'] } or { log: 'regex' }"

/** `ready` (or another probe field): null when absent or when it has a problem, which is then recorded in `c`. */
export function readProbe(c: Checker, value: unknown, field: string): ResolvedProbe | null {
  const before = c.problems.length
  const o = c.object(value, field, [...PROBE_KINDS, ...TIMING_FIELDS], ACCEPTED)
  if (!o) return null
  const given = PROBE_KINDS.filter((kind) => o[kind] !== undefined)
  if (given.length === 0) c.fail(field, `needs one of http, tcp, exec or log: ${ACCEPTED}`)
  if (given.length > 1) c.fail(field, `has ${given.join(' and ')}: give exactly one of http, tcp, exec or log`)
  const targets = given.map((kind) => readTarget(c, kind, o[kind], `${field}.${kind}`))
  const timing = {
    intervalMs: c.ms(o.intervalMs, `${field}.intervalMs`, DEFAULT_INTERVAL_MS),
    timeoutMs: c.ms(o.timeoutMs, `${field}.timeoutMs`, DEFAULT_TIMEOUT_MS),
    startGraceMs: c.ms(o.startGraceMs, `${field}.startGraceMs`, DEFAULT_START_GRACE_MS, 0),
  }
  // A log probe is not polled: an interval or a per-attempt timeout would be accepted and silently do nothing.
  if (given.length === 1 && given[0] === 'log') {
    for (const key of ['intervalMs', 'timeoutMs'] as const) {
      if (o[key] !== undefined) c.fail(`${field}.${key}`, 'has no meaning for a log probe, which matches each line as it is written: remove it')
    }
  }
  const target = targets[0]
  if (c.problems.length > before || targets.length !== 1 || !target) return null
  return { ...target, ...timing }
}

function readTarget(c: Checker, kind: ProbeTarget['kind'], value: unknown, field: string): ProbeTarget | undefined {
  switch (kind) {
    case 'http': {
      const url = readHttpUrl(c, value, field)
      return url === undefined ? undefined : { kind, url }
    }
    case 'tcp': {
      const address = readTcpAddress(c, value, field)
      return address && { kind, ...address }
    }
    case 'exec': {
      const argv = readArgv(c, value, field)
      return argv && { kind, argv }
    }
    case 'log': {
      const pattern = readPattern(c, value, field)
      return pattern === undefined ? undefined : { kind, pattern }
    }
    default:
      return kind satisfies never
  }
}

/** An absolute http(s) URL. */
export function readHttpUrl(c: Checker, value: unknown, field: string): string | undefined {
  const url = c.text(value, field, 'an http(s) URL')
  if (url === undefined) return undefined
  if (/^https?:\/\//.test(url) && URL.canParse(url)) return url
  c.fail(field, `must be an http(s) URL such as 'http://127.0.0.1:8080/', not ${describe(url)}`)
  return undefined
}

/** A port (on 127.0.0.1), or 'host:port' ('[::1]:port' for an IPv6 address). */
export function readTcpAddress(c: Checker, value: unknown, field: string): { host: string; port: number } | undefined {
  if (value === undefined) return undefined
  if (typeof value === 'number') return portOf(c, value, field) === undefined ? undefined : { host: DEFAULT_TCP_HOST, port: value }
  const accepted = `a port such as 6390, or 'host:port' such as 'db.local:5432'`
  if (typeof value !== 'string') {
    c.fail(field, `must be ${accepted}, not ${describe(value)}`)
    return undefined
  }
  const m = /^(?:\[([^\]\s]+)\]|([^:\s[\]]+)):(\d+)$/.exec(value)
  if (!m) {
    // '6390' is not 6390, as elsewhere in the manifest: say how to write what was meant.
    const hint = /^\d+$/.test(value) ? `: write the port as a number, ${value}` : ''
    c.fail(field, `must be ${accepted}, not ${describe(value)}${hint}`)
    return undefined
  }
  const port = portOf(c, Number(m[3]), field)
  return port === undefined ? undefined : { host: (m[1] ?? m[2])!, port }
}

function portOf(c: Checker, port: number, field: string): number | undefined {
  if (Number.isInteger(port) && port >= 1 && port <= 65535) return port
  c.fail(field, `has port ${port}: a port is a whole number from 1 to 65535`)
  return undefined
}

/** A program and its arguments: run as given, without a shell. */
export function readArgv(c: Checker, value: unknown, field: string): [string, ...string[]] | undefined {
  if (value === undefined) return undefined
  const example = `['pg_isready', '-p', '5432']`
  if (typeof value === 'string') {
    c.fail(field, `must be an array such as ${example}, not ${describe(value)}: no shell runs it (for one, write ['sh', '-c', '…'])`)
    return undefined
  }
  if (Array.isArray(value) && value.length === 0) {
    c.fail(field, `is empty: give the program to run and its arguments, such as ${example}`)
    return undefined
  }
  if (Array.isArray(value) && value.every((arg) => typeof arg === 'string') && value[0] !== '') {
    return value as [string, ...string[]]
  }
  c.fail(field, `must be a program and its arguments, all strings, such as ${example}, not ${describe(value)}`)
  return undefined
}

/** The source of a regular expression, checked by compiling it. */
export function readPattern(c: Checker, value: unknown, field: string): string | undefined {
  const pattern = c.text(value, field, "a regular expression such as 'Ready to accept'")
  if (pattern === undefined) return undefined
  try {
    new RegExp(pattern)
    return pattern
  } catch (error) {
    c.fail(field, `is not a valid regular expression (${(error as Error).message})`)
    return undefined
  }
}
