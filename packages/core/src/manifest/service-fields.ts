// Reads one service's fields with their defaults, recording every value the runtime could not use.

import { isAbsolute } from 'node:path'
import { Checker, describe, isObject } from './checks.js'
import { readArgv, readHttpUrl, readProbe, readTcpAddress } from '../probes/read-probe.js'
import type { ResolvedHealth, ResolvedRestart, ResolvedService } from './normalize.js'
import { readInstanceFields } from './instance-fields.js'
import { readProcessFields, type ProcessFields } from './process-fields.js'
import { readRetry } from './retry-field.js'
import type { Permissions, RestartPolicyName } from './types.js'
import { readListen } from './listen-field.js'
import { readWatch, type WatchFields } from './watch-field.js'

/** A service as checked, before its entry, cwd and env files are resolved on disk. */
export type ServiceFields = Omit<ResolvedService, 'parent' | 'cwd' | 'watch' | 'nats' | keyof ProcessFields> &
  ProcessFields & { watch: WatchFields | false | null; nats: string | null }

const POLICIES: RestartPolicyName[] = ['never', 'on-failure', 'always']
const SERVICE_FIELDS = [
  'entry', 'command', 'dependsOn', 'config', 'env', 'envFile', 'cwd', 'nodeArgs', 'stopSignal', 'ready', 'oneshot',
  'permissions', 'restart', 'critical', 'direct', 'startTimeoutMs', 'stopTimeoutMs', 'killTimeoutMs', 'health', 'logs', 'watch',
  'instances', 'balance', 'drainTimeoutMs', 'limits', 'retry', 'placement',
  'listen', 'nats',
]
const RESTART_FIELDS = ['policy', 'backoff', 'maxRestarts', 'windowMs', 'warmSpare']
const BACKOFF_FIELDS = ['initialMs', 'maxMs', 'factor', 'jitter']
const PERMISSION_FIELDS = ['fs', 'childProcess', 'worker', 'network', 'calls', 'childServices']
const PERMISSION_FLAGS = ['childProcess', 'worker', 'network', 'childServices'] as const
const FS_FIELDS = ['read', 'write'] as const
const HEALTH_FIELDS = ['method', 'url', 'tcp', 'exec', 'intervalMs', 'timeoutMs', 'failureThreshold']
const LOG_FIELDS = ['bufferLines', 'file', 'maxBytes', 'maxFiles']

/** `declared`: the services of the manifest, which permissions.calls may name (null: not checked). */
export function readService(c: Checker, spec: unknown, declared: readonly string[] | null): ServiceFields {
  const name = c.service!
  if (!isObject(spec)) c.fail('entry', `is missing: a service is an object such as { entry: './services/${name}.ts' }, not ${describe(spec)}`)
  const s = isObject(spec) ? spec : { entry: '' }
  c.knownKeys(s, null, SERVICE_FIELDS)
  const permissions = permissionsOf(c, s.permissions)
  const sandboxed = permissions.fs !== undefined || permissions.childProcess === false || permissions.worker === false
  const runs = readProcessFields(c, s, sandboxed)
  const { dependsOn } = runs
  if (runs.kind === 'command') commandOnly(c, s)
  if (runs.oneshot) oneshotOnly(c, s, runs.kind)
  const calls = [...(permissions.calls ?? dependsOn)]
  for (const target of declared ? (permissions.calls ?? []) : []) {
    if (!declared!.includes(target)) c.fail('permissions.calls', `names "${target}", which is not declared`)
  }
  return {
    name,
    ...runs,
    entry: c.text(s.entry, 'entry', 'a module path or a package name') ?? '',
    config: s.config ?? {},
    env: c.strings(s.env, 'env'),
    permissions,
    calls,
    restart: restartOf(c, s.restart),
    critical: c.flag(s.critical, 'critical') ?? false,
    direct: c.flag(s.direct, 'direct') ?? false,
    startTimeoutMs: c.ms(s.startTimeoutMs, 'startTimeoutMs', 30_000),
    stopTimeoutMs: c.ms(s.stopTimeoutMs, 'stopTimeoutMs', 5_000),
    killTimeoutMs: c.ms(s.killTimeoutMs, 'killTimeoutMs', 3_000),
    ready: readProbe(c, s.ready, 'ready'),
    health: healthOf(c, s.health),
    logs: logsOf(c, s.logs),
    watch: readWatch(c, s.watch, runs.kind),
    ...readInstanceFields(c, s, runs.oneshot),
    retry: readRetry(c, s.retry, calls),
    listen: readListen(c, s.listen),
    nats: c.text(s.nats, 'nats', "the service's own NATS user as a URL") ?? null,
  }
}

// What only a Node service has: a typed API, its calls over a direct socket, a config object, a health method.
function commandOnly(c: Checker, s: Record<string, unknown>): void {
  const name = c.service!
  const nodeOnly = "is for Node services: a command service has no typed API"
  if (s.config !== undefined) c.fail('config', `${nodeOnly}; give "${name}" its settings in command, env or envFile`)
  if (s.direct !== undefined) c.fail('direct', nodeOnly)
  if (s.nats !== undefined) c.fail('nats', `${nodeOnly}: its calls are the ones NATS would carry`)
  if (isObject(s.health) && s.health.method !== undefined) c.fail('health.method', `${nodeOnly}; check it with health: { tcp }, { url } or { exec }`)
  if (isObject(s.permissions) && s.permissions.childServices !== undefined) c.fail('permissions.childServices', nodeOnly)
}

function oneshotOnly(c: Checker, s: Record<string, unknown>, kind: 'node' | 'command'): void {
  const name = c.service!
  if (kind === 'node') c.fail('oneshot', `is for command services: run a Node script as command: ['node', 'scripts/${name}.js'], oneshot: true`)
  if (s.restart !== undefined) c.fail('restart', 'does not apply to a one-shot: it runs once per start, and a failure is reported as failed (start it again by hand)')
  if (s.ready !== undefined) c.fail('ready', "does not apply to a one-shot: it is done when it exits 0 (dependents wait with 'completed')")
  if (s.health !== undefined) c.fail('health', 'does not apply to a one-shot: it is not meant to keep running')
  if (s.listen !== undefined) c.fail('listen', 'does not apply to a one-shot: it is not meant to keep serving a port')
}

function restartOf(c: Checker, restart: unknown): ResolvedRestart {
  const accepted = `'never', 'on-failure', 'always' or { policy, backoff, maxRestarts, windowMs, warmSpare }`
  const r = typeof restart === 'string' ? { policy: restart } : (c.object(restart, 'restart', RESTART_FIELDS, accepted) ?? {})
  let policy: RestartPolicyName = 'on-failure'
  if (POLICIES.includes(r.policy as RestartPolicyName)) policy = r.policy as RestartPolicyName
  else if (r.policy !== undefined) c.fail(typeof restart === 'string' ? 'restart' : 'restart.policy', `must be one of ${POLICIES.join(', ')}, not ${describe(r.policy)}`)
  const b = c.object(r.backoff, 'restart.backoff', BACKOFF_FIELDS) ?? {}
  return {
    policy,
    backoff: {
      initialMs: c.ms(b.initialMs, 'restart.backoff.initialMs', 100, 0),
      maxMs: c.ms(b.maxMs, 'restart.backoff.maxMs', 30_000),
      factor: c.number(b.factor, 'restart.backoff.factor', 2, { min: 0, above: true }),
      // Each delay is base ± jitter·base (supervision/backoff.ts): 0 is none, 1 is anywhere from 0 to twice the base.
      jitter: c.number(b.jitter, 'restart.backoff.jitter', 0.2, { min: 0, max: 1 }),
    },
    // 0 is meaningful: the first crash within the window fails the service.
    maxRestarts: c.count(r.maxRestarts, 'restart.maxRestarts', 5, 0),
    windowMs: c.ms(r.windowMs, 'restart.windowMs', 60_000),
    warmSpare: c.flag(r.warmSpare, 'restart.warmSpare') ?? false,
  }
}

function permissionsOf(c: Checker, value: unknown): Permissions {
  const p = c.object(value, 'permissions', PERMISSION_FIELDS)
  const out: Permissions = {}
  if (!p) return out
  // An unset rule means "unrestricted" to container/permissions.ts, so only rules that are set are copied.
  for (const key of PERMISSION_FLAGS) {
    const flag = c.flag(p[key], `permissions.${key}`)
    if (flag !== undefined) out[key] = flag
  }
  const calls = c.names(p.calls, 'permissions.calls')
  if (calls) out.calls = calls
  const fs = c.object(p.fs, 'permissions.fs', FS_FIELDS, '{ read?: [paths], write?: [paths] }')
  if (fs) {
    out.fs = {}
    for (const key of FS_FIELDS) if (fs[key] !== undefined) out.fs[key] = pathsOf(c, fs[key], `permissions.fs.${key}`)
  }
  return out
}

// Each path becomes one --allow-fs-* flag of Node's permission model, which resolves nothing for us.
function pathsOf(c: Checker, value: unknown, field: string): string[] {
  if (!Array.isArray(value)) {
    c.fail(field, `must be an array of absolute paths, such as ["/srv/data"], not ${describe(value)}`)
    return []
  }
  value.forEach((path: unknown, i) => {
    const at = `${field}[${i}]`
    if (typeof path !== 'string' || path === '') c.fail(at, `must be an absolute path, not ${describe(path)}`)
    else if (path === '*') c.fail(at, `is "*": to leave it unrestricted, omit ${field}`)
    else if (path.includes('*')) c.fail(at, `"${path}" has a "*": name the directory instead (it grants everything under it)`)
    else if (!isAbsolute(path)) c.fail(at, `"${path}" is relative: give an absolute path, e.g. resolve(import.meta.dirname, '${path}')`)
    else if (path.split(/[\\/]/).includes('..')) c.fail(at, `"${path}" has a ".." segment: give the path without it`)
  })
  return value as string[]
}

function healthOf(c: Checker, value: unknown): ResolvedService['health'] {
  // tcp and exec are probes the manager runs itself (probes/), beside a method of the service or an http URL.
  const checks = ['method', 'url', 'tcp', 'exec'] as const
  const accepted = "{ method: 'check' }, { url: 'http://…' }, { tcp: 6390 } or { exec: ['program', 'arg'] }"
  const h = c.object(value, 'health', HEALTH_FIELDS, accepted)
  if (!h) return null
  const given = checks.filter((key) => h[key] !== undefined)
  if (given.length !== 1) c.fail('health', `needs exactly one of method, url, tcp or exec${given.length > 1 ? `, not ${given.join(' and ')}` : ''}`)
  const method = c.text(h.method, 'health.method', 'the name of a method the service exposes')
  const url = readHttpUrl(c, h.url, 'health.url')
  const tcp = readTcpAddress(c, h.tcp, 'health.tcp')
  const exec = readArgv(c, h.exec, 'health.exec')
  const timing = {
    intervalMs: c.ms(h.intervalMs, 'health.intervalMs', 10_000),
    timeoutMs: c.ms(h.timeoutMs, 'health.timeoutMs', 5_000),
  }
  const failureThreshold = c.count(h.failureThreshold, 'health.failureThreshold', 3)
  const probe = { ...timing, startGraceMs: 0 }
  let check: ResolvedHealth['check'] | undefined
  if (method !== undefined) check = { method }
  else if (url !== undefined) check = { probe: { kind: 'http', url, ...probe } }
  else if (tcp !== undefined) check = { probe: { kind: 'tcp', ...tcp, ...probe } }
  else if (exec !== undefined) check = { probe: { kind: 'exec', argv: exec, ...probe } }
  // Without a usable check a problem was recorded above, and the manifest is refused.
  return check && given.length === 1 ? { check, ...timing, failureThreshold } : null
}

function logsOf(c: Checker, value: unknown): ResolvedService['logs'] {
  const l = c.object(value, 'logs', LOG_FIELDS, '{ bufferLines, file, maxBytes, maxFiles }') ?? {}
  return {
    bufferLines: c.count(l.bufferLines, 'logs.bufferLines', 1_000),
    file: c.text(l.file, 'logs.file', 'a path relative to the project') ?? null,
    maxBytes: c.count(l.maxBytes, 'logs.maxBytes', 10 * 1024 * 1024, 1, Number.MAX_SAFE_INTEGER),
    maxFiles: c.count(l.maxFiles, 'logs.maxFiles', 3),
  }
}
