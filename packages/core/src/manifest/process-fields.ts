// The fields that say what runs and how it is started and stopped: `entry` or `command`, `nodeArgs`, `cwd`,
// `envFile`, `stopSignal`, `oneshot`, and the conditions of `dependsOn`.

import { constants } from 'node:os'
import { Checker, describe, isObject } from './checks.js'
import type { DependencyCondition } from './types.js'

const CONDITIONS: DependencyCondition[] = ['started', 'ready', 'completed']

// Node flags that would widen or switch off the permission model, or set NODE_OPTIONS behind its back (--env-file
// may name a file that sets it): refused for a sandboxed service, whose flags the manager sets.
const PERMISSION_FLAG = /^--(allow-|permission|experimental-permission|no-experimental-permission|env-file)/

export interface ProcessFields {
  kind: 'node' | 'command'
  /** A command service's argv (a string command runs as ['/bin/sh', '-c', command]); null for a Node service. */
  command: string[] | null
  /** The command as people read it. */
  commandLine: string | null
  dependsOn: string[]
  conditions: Record<string, DependencyCondition>
  oneshot: boolean
  nodeArgs: string[]
  /** As written (relative to the manifest); resolved by normalize. */
  cwd: string | null
  envFiles: string[]
  stopSignal: NodeJS.Signals
}

export function readProcessFields(c: Checker, s: Record<string, unknown>, sandboxed: boolean): ProcessFields {
  const name = c.service!
  const { command, commandLine } = commandOf(c, s.command)
  const kind = command ? 'command' : 'node'
  if (s.entry !== undefined && s.command !== undefined) c.fail('command', 'and entry are both set: a service is either a Node module (entry) or a command, not both')
  if (s.entry === undefined && s.command === undefined) {
    c.fail('entry', `is missing: set entry to the path of the service's module, or command to the program to run, e.g. command: ['redis-server', '--port', '6390']`)
  }
  const { dependsOn, conditions } = dependenciesOf(c, s.dependsOn)
  const nodeArgs = argsOf(c, s.nodeArgs, 'nodeArgs') ?? []
  if (kind === 'command' && s.nodeArgs !== undefined) c.fail('nodeArgs', `is for Node services; put the flags of "${name}"'s program in its command`)
  if (sandboxed) {
    for (const arg of nodeArgs) {
      if (PERMISSION_FLAG.test(arg)) c.fail('nodeArgs', `has "${arg}", which would lift the service's permissions: use its permissions field instead`)
    }
  }
  return {
    kind,
    command,
    commandLine,
    dependsOn,
    conditions,
    oneshot: c.flag(s.oneshot, 'oneshot') ?? false,
    nodeArgs,
    cwd: c.text(s.cwd, 'cwd', 'a directory path relative to the manifest') ?? null,
    envFiles: envFilesOf(c, s.envFile),
    stopSignal: signalOf(c, s.stopSignal),
  }
}

function commandOf(c: Checker, value: unknown): { command: string[] | null; commandLine: string | null } {
  if (value === undefined) return { command: null, commandLine: null }
  if (typeof value === 'string' && value.trim() !== '') return { command: ['/bin/sh', '-c', value], commandLine: value }
  const argv = argsOf(c, value, 'command')
  if (argv && argv.length > 0 && argv[0] !== '') return { command: argv, commandLine: argv.map(quoted).join(' ') }
  if (argv) c.fail('command', 'is empty: give the program first, e.g. ["redis-server", "--port", "6390"]')
  return { command: null, commandLine: null }
}

function argsOf(c: Checker, value: unknown, field: string): string[] | undefined {
  if (value === undefined) return undefined
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[]
  c.fail(field, `must be ${field === 'command' ? 'an argv array such as ["redis-server", "--port", "6390"], or a shell command string' : 'an array of strings'}, not ${describe(value)}`)
  return undefined
}

function dependenciesOf(c: Checker, value: unknown): { dependsOn: string[]; conditions: Record<string, DependencyCondition> } {
  const conditions: Record<string, DependencyCondition> = {}
  if (isObject(value)) {
    for (const [dependency, condition] of Object.entries(value)) {
      if (CONDITIONS.includes(condition as DependencyCondition)) conditions[dependency] = condition as DependencyCondition
      else c.fail(`dependsOn.${dependency}`, `must be one of ${CONDITIONS.map((k) => `'${k}'`).join(', ')}, not ${describe(condition)}`)
    }
    return { dependsOn: Object.keys(value), conditions }
  }
  if (value !== undefined && !(Array.isArray(value) && value.every((v) => typeof v === 'string' && v !== ''))) {
    c.fail('dependsOn', `must be an array of service names such as ["db"], or an object of conditions such as { db: 'ready', migrate: 'completed' }, not ${describe(value)}`)
    return { dependsOn: [], conditions }
  }
  const dependsOn = (value as string[] | undefined) ?? []
  for (const dependency of dependsOn) conditions[dependency] = 'ready'
  return { dependsOn, conditions }
}

function envFilesOf(c: Checker, value: unknown): string[] {
  if (value === undefined) return []
  const files = typeof value === 'string' ? [value] : value
  if (Array.isArray(files) && files.every((f) => typeof f === 'string' && f !== '')) return files as string[]
  c.fail('envFile', `must be a path, or an array of paths, relative to the manifest (such as ".env"), not ${describe(value)}`)
  return []
}

function signalOf(c: Checker, value: unknown): NodeJS.Signals {
  if (value === undefined) return 'SIGTERM'
  if (typeof value === 'string' && value in constants.signals && value !== 'SIGKILL' && value !== 'SIGSTOP') return value as NodeJS.Signals
  c.fail('stopSignal', `must be a signal name such as "SIGINT" or "SIGQUIT" (not SIGKILL or SIGSTOP, which the escalation sends itself), not ${describe(value)}`)
  return 'SIGTERM'
}

function quoted(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`
}
