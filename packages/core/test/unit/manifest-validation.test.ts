// The manifest rejects every value that would break the runtime, naming the field and what is accepted.

import { describe, expect, test } from '@jest/globals'
import type { ManifestProblem } from '../../src/manifest/checks.js'
import { normalizeManifest, normalizeService } from '../../src/manifest/normalize.js'
import type { Manifest } from '../../src/manifest/types.js'

const keepEntry = (_name: string, entry: string) => entry

function normalize(manifest: unknown) {
  return normalizeManifest(manifest as Manifest, '/project', keepEntry)
}

/** The problems the manifest is rejected with (fails the test when it is accepted). */
function problemsOf(manifest: unknown): ManifestProblem[] {
  try {
    normalize(manifest)
  } catch (error) {
    const e = error as { code: string; details?: { problems?: ManifestProblem[] } }
    expect(e.code).toBe('SVC_ERR_MANIFEST_INVALID')
    return e.details?.problems ?? []
  }
  throw new Error('the manifest was accepted')
}

/** The one problem of a manifest with a single service "api" built from `fields`. */
function problemOf(fields: Record<string, unknown>): ManifestProblem {
  const problems = problemsOf({ services: { api: { entry: './api.ts', ...fields } } })
  expect(problems).toHaveLength(1)
  return problems[0]!
}

describe('timeouts and durations are whole milliseconds within setTimeout range', () => {
  test.each([
    ['stopTimeoutMs', { stopTimeoutMs: Infinity }],
    ['startTimeoutMs', { startTimeoutMs: 2 ** 31 }],
    ['killTimeoutMs', { killTimeoutMs: 1.5 }],
    ['restart.windowMs', { restart: { windowMs: Infinity } }],
    ['restart.backoff.maxMs', { restart: { backoff: { maxMs: 1e12 } } }],
    ['restart.backoff.initialMs', { restart: { backoff: { initialMs: NaN } } }],
    ['health.intervalMs', { health: { method: 'check', intervalMs: Infinity } }],
    ['health.timeoutMs', { health: { method: 'check', timeoutMs: -1 } }],
  ])('%s', (field, fields) => {
    const problem = problemOf(fields)
    expect(problem).toMatchObject({ service: 'api', field, path: `services.api.${field}` })
    expect(problem.message).toMatch(new RegExp(`^Service "api": ${field.replace(/\./g, '\\.')} must be whole milliseconds from [01] to 2147483647`))
  })

  test('the largest timer setTimeout keeps is accepted, and initialMs may be 0', () => {
    const service = normalize({
      services: { api: { entry: 'x', stopTimeoutMs: 2 ** 31 - 1, restart: { backoff: { initialMs: 0 } } } },
    }).services[0]!
    expect(service.stopTimeoutMs).toBe(2 ** 31 - 1)
    expect(service.restart.backoff.initialMs).toBe(0)
  })
})

describe('jitter is a finite number from 0 to 1', () => {
  test.each([NaN, Infinity, -0.1, 1.5])('jitter %p is refused', (jitter) => {
    const problem = problemOf({ restart: { backoff: { jitter } } })
    expect(problem.path).toBe('services.api.restart.backoff.jitter')
    expect(problem.message).toContain('must be a number from 0 to 1')
  })

  test('factor is a finite number above 0', () => {
    expect(problemOf({ restart: { backoff: { factor: Infinity } } }).field).toBe('restart.backoff.factor')
  })
})

describe('counts are whole numbers', () => {
  test.each([
    ['restart.maxRestarts', { restart: { maxRestarts: 2.5 } }],
    ['restart.maxRestarts', { restart: { maxRestarts: Infinity } }],
    ['logs.bufferLines', { logs: { bufferLines: 2.5 } }],
    ['logs.maxFiles', { logs: { maxFiles: 0 } }],
    ['logs.maxBytes', { logs: { maxBytes: Infinity } }],
    ['health.failureThreshold', { health: { url: 'http://localhost/health', failureThreshold: 1.2 } }],
  ])('%s', (field, fields) => {
    const problem = problemOf(fields)
    expect(problem.field).toBe(field)
    expect(problem.message).toContain('must be a whole number from')
  })

  test('maxRestarts may be 0: the first crash fails the service', () => {
    expect(normalize({ services: { api: { entry: 'x', restart: { maxRestarts: 0 } } } }).services[0]!.restart.maxRestarts).toBe(0)
  })
})

describe('numbers, booleans and strings must have their own type', () => {
  test.each([
    ['stopTimeoutMs', { stopTimeoutMs: '5000' }, 'not "5000"'],
    ['restart.backoff.jitter', { restart: { backoff: { jitter: '0.5' } } }, 'must be a number from 0 to 1, not "0.5"'],
    ['critical', { critical: 'yes' }, 'must be true or false'],
    ['direct', { direct: 1 }, 'must be true or false'],
    ['permissions.network', { permissions: { network: 'no' } }, 'must be true or false, not "no"'],
    ['permissions.childServices', { permissions: { childServices: 'true' } }, 'must be true or false'],
    ['env.A', { env: { A: 1 } }, 'must be a string, not 1'],
    ['logs.file', { logs: { file: 5 } }, 'must be a path relative to the project'],
    ['health.method', { health: { method: 5 } }, 'must be the name of a method'],
    ['dependsOn', { dependsOn: 'db' }, 'must be an array of service names'],
    ['permissions.calls', { permissions: { calls: 5 } }, 'must be an array of service names'],
    ['restart', { restart: 5 }, "must be 'never', 'on-failure', 'always' or {"],
    ['restart', { restart: 'sometimes' }, 'must be one of never, on-failure, always'],
    ['logs', { logs: 5 }, 'must be { bufferLines'],
  ])('%s', (field, fields, says) => {
    const problem = problemOf(fields)
    expect(problem.field).toBe(field)
    expect(problem.message).toContain(says)
  })

  test('top-level fields too', () => {
    const problems = problemsOf({ services: {}, spawner: 'no', stateDir: 5, cluster: { redis: 'redis://r:6379' } })
    expect(problems.map((p) => p.path).sort()).toEqual(['cluster.name', 'spawner', 'stateDir'])
  })
})

describe('permission paths are absolute, without "..", "*" or empty', () => {
  test.each([
    ['./data', 'is relative'],
    ['data', 'is relative'],
    ['/srv/../etc', 'has a ".." segment'],
    ['', 'must be an absolute path'],
    ['/srv/*', 'has a "*"'],
  ])('fs.read %p', (path, says) => {
    const problem = problemOf({ permissions: { fs: { read: ['/ok', path] } } })
    expect(problem.path).toBe('services.api.permissions.fs.read[1]')
    expect(problem.message).toContain(says)
  })

  test('"*" is refused with the advice to omit the rule, which is what leaves it unrestricted', () => {
    expect(problemOf({ permissions: { fs: { write: ['*'] } } }).message).toBe(
      'Service "api": permissions.fs.write[0] is "*": to leave it unrestricted, omit permissions.fs.write.',
    )
  })

  test('fs.read must be an array', () => {
    expect(problemOf({ permissions: { fs: { read: '/srv' } } }).message).toContain('permissions.fs.read must be an array of absolute paths')
  })

  test('absolute paths are kept as written', () => {
    const service = normalize({ services: { api: { entry: 'x', permissions: { fs: { read: ['/srv/data'], write: [] } } } } }).services[0]!
    expect(service.permissions).toEqual({ fs: { read: ['/srv/data'], write: [] } })
  })
})

describe('unknown keys are refused at every level, with a suggestion when one is near', () => {
  test.each([
    ['permissions.netwrok', { permissions: { netwrok: false } }, '"network"'],
    ['permissions.fs.reed', { permissions: { fs: { reed: ['/srv'] } } }, '"read"'],
    ['restart.polcy', { restart: { polcy: 'never' } }, '"policy"'],
    ['restart.backoff.jiter', { restart: { backoff: { jiter: 0.1 } } }, '"jitter"'],
    ['health.interval', { health: { method: 'check', interval: 5 } }, '"intervalMs"'],
    ['permissions.id', { permissions: { id: 5 } }, null],
    ['logs.bufferLine', { logs: { bufferLine: 5 } }, '"bufferLines"'],
  ])('%s', (field, fields, near) => {
    const problem = problemOf(fields)
    expect(problem.field).toBe(field)
    expect(problem.message).toContain(`has an unknown field "${field.split('.').pop()}"`)
    if (near) expect(problem.message).toContain(`did you mean ${near}?`)
    else expect(problem.message).not.toContain('did you mean')
  })

  test('in cluster too', () => {
    expect(problemsOf({ services: {}, cluster: { redis: 'redis://r', name: 'p', nmae: 'q' } })[0]!.path).toBe('cluster.nmae')
  })
})

describe('metrics: { port, host? }', () => {
  test('is null when absent; host defaults to 127.0.0.1; port 0 takes any free port', () => {
    expect(normalize({ services: {} }).metrics).toBeNull()
    expect(normalize({ services: {}, metrics: { port: 9464 } }).metrics).toEqual({ port: 9464, host: '127.0.0.1' })
    expect(normalize({ services: {}, metrics: { port: 0, host: '0.0.0.0' } }).metrics).toEqual({ port: 0, host: '0.0.0.0' })
  })

  test('refuses unknown keys, a missing or bad port and an empty host, all in one error', () => {
    const problems = problemsOf({ services: {}, metrics: { prt: 9464, host: '' } })
    expect(problems.map((p) => p.path).sort()).toEqual(['metrics.host', 'metrics.port', 'metrics.prt'])
    expect(problems.find((p) => p.path === 'metrics.prt')!.message).toContain('did you mean "port"?')
    expect(problemsOf({ services: {}, metrics: { port: 70_000 } })[0]!.message).toContain('metrics.port must be a whole number from 0 to 65535')
    expect(problemsOf({ services: {}, metrics: 9464 })[0]!.message).toContain('metrics must be { port: 9464 }')
  })
})

describe('every problem is reported at once', () => {
  test('one error lists each problem of each service, in its message and details', () => {
    let error: { code?: string; message?: string; service?: string; details?: { problems: ManifestProblem[] } } = {}
    try {
      normalize({
        services: {
          api: { entry: 'x', stopTimeoutMs: Infinity, permissions: { netwrok: false } },
          db: { entry: 'y', restart: { backoff: { jitter: NaN } } },
        },
      })
    } catch (e) {
      error = e as typeof error
    }
    expect(error.code).toBe('SVC_ERR_MANIFEST_INVALID')
    expect(error.service).toBeUndefined()
    expect(error.details!.problems.map((p) => p.path)).toEqual([
      'services.api.permissions.netwrok',
      'services.api.stopTimeoutMs',
      'services.db.restart.backoff.jitter',
    ])
    expect(error.message!.split('\n')).toHaveLength(4)
    expect(error.message).toMatch(/^The manifest has 3 problems/)
  })

  test('a child service (ctx.spawnChild) goes through the same checks', () => {
    expect(() => normalizeService('kid', { entry: 'x', env: { A: 1 } } as never, '/', 'api', keepEntry)).toThrow(
      expect.objectContaining({ code: 'SVC_ERR_MANIFEST_INVALID', service: 'kid', message: 'Service "kid": env.A must be a string, not 1: write it in quotes.' }),
    )
  })
})

describe('a graph across hosts: cluster.nats and placement', () => {
  const nats = { name: 'prod', nats: 'nats://127.0.0.1:4222' }

  test('placement without cluster.nats is refused, naming the service and what it needs', () => {
    const problems = problemsOf({ cluster: { name: 'p', redis: 'redis://r' }, services: { api: { entry: './api.ts', placement: 'every' } } })
    expect(problems).toHaveLength(1)
    expect(problems[0]).toMatchObject({ service: 'api', field: 'placement' })
    expect(problems[0]!.message).toContain('cluster: { name, nats }')
  })

  test.each([
    [{ hosts: [] }, 'must list host ids'],
    [{ hosts: ['a.b'] }, 'must list host ids'],
    [{ hosts: 'a' }, 'must list host ids'],
    ['anywhere', "'any' (one host at a time), 'every' (each host) or { hosts"],
    [{ host: ['a'] }, 'host'],
  ])('placement %j is refused', (placement, says) => {
    const problems = problemsOf({ cluster: nats, services: { api: { entry: './api.ts', placement } } })
    expect(problems.map((p) => p.message).join(' ')).toContain(says)
  })

  test('cluster ids that would break a NATS subject, a URL that is not NATS, credentials without nats, nothing to run on', () => {
    expect(problemsOf({ services: {}, cluster: { name: 'my.prod', nats: 'nats://n' } }).map((p) => p.path)).toEqual(['cluster.name'])
    expect(problemsOf({ services: {}, cluster: { name: 'p', nats: 'http://n' } }).map((p) => p.path)).toEqual(['cluster.nats'])
    expect(problemsOf({ services: {}, cluster: { name: 'p', redis: 'redis://r', natsCredentials: '/x.creds' } }).map((p) => p.path)).toEqual(['cluster.natsCredentials'])
    expect(problemsOf({ services: {}, cluster: { name: 'p' } }).map((p) => p.path)).toEqual(['cluster'])
  })

  test("a one-shot runs on each host that starts it: 'every', and nothing else", () => {
    const problems = problemsOf({ cluster: nats, services: { migrate: { command: 'true', oneshot: true, placement: { hosts: ['db'] } } } })
    expect(problems.map((p) => p.field)).toEqual(['placement'])
    expect(problems[0]!.message).toContain("of a one-shot can only be 'every' (the default for one)")
    expect(normalize({ cluster: nats, services: { migrate: { command: 'true', oneshot: true, placement: 'every' } } }).services[0]!.placement).toBe('every')
  })

  test('accepted: the three placements, duplicates in a host list removed; SVC_CLUSTER_REDIS only with redis', () => {
    const m = normalize({
      cluster: nats,
      services: { a: { entry: './a.ts', placement: { hosts: ['x', 'y', 'x'] } }, b: { entry: './b.ts', placement: 'every' }, c: { entry: './c.ts' } },
    })
    expect(m.services.map((s) => s.placement)).toEqual([{ hosts: ['x', 'y'] }, 'every', null])
    expect(m.cluster).toEqual({ name: 'prod', nats: 'nats://127.0.0.1:4222', redis: null, natsCredentials: null })
    expect(m.services[0]!.env).toMatchObject({ SVC_CLUSTER_NAME: 'prod' })
    expect(m.services[0]!.env.SVC_CLUSTER_REDIS).toBeUndefined()
  })

  test("a service's own NATS user: needs cluster.nats, a user, not the hosts' user, the network; a command has none", () => {
    const hosts = { name: 'prod', nats: 'nats://host-a:pa@nats:4222' }
    const refused = (cluster: object | undefined, spec: object) => problemsOf({ ...(cluster && { cluster }), services: { api: spec } }).map((p) => `${p.path}: ${p.message}`)
    expect(refused(undefined, { entry: './api.ts', nats: 'nats://svc-api:p@nats:4222' })).toEqual([expect.stringContaining('nats needs cluster: { name, nats }')])
    expect(refused(hosts, { entry: './api.ts', nats: 'http://svc-api:p@nats' })).toEqual([expect.stringContaining('must be a nats:// URL')])
    expect(refused(hosts, { entry: './api.ts', nats: 'nats://nats:4222' })).toEqual([expect.stringContaining('names no user')])
    expect(refused(hosts, { entry: './api.ts', nats: 'nats://host-a:other@nats:4222' })).toEqual([expect.stringContaining("names the hosts' NATS user")])
    expect(refused(hosts, { command: ['true'], nats: 'nats://svc-api:p@nats:4222' })).toEqual([expect.stringContaining('is for Node services')])
    expect(refused(hosts, { entry: './api.ts', nats: 42 })).toEqual([expect.stringContaining('nats')])
    expect(refused(hosts, { entry: './api.ts', nats: 'nats://svc-api:p@nats:4222', permissions: { network: false } })).toEqual([expect.stringContaining('permissions.network is false')])
  })

  test("accepted: each service with a user knows who may call it (the services whose calls name it)", () => {
    const m = normalize({
      cluster: nats,
      services: {
        store: { entry: './store.ts', direct: true, nats: 'nats://svc-store:p@n:4222' },
        api: { entry: './api.ts', dependsOn: ['store'], nats: 'nats://svc-api:p@n:4222' },
        admin: { entry: './admin.ts', permissions: { calls: ['store', 'api'] } },
        other: { entry: './other.ts' },
      },
    })
    const byName = Object.fromEntries(m.services.map((s) => [s.name, s.nats]))
    expect(byName.store).toEqual({ url: 'nats://svc-store:p@n:4222', cluster: 'prod', callers: ['api', 'admin'] })
    expect(byName.api).toEqual({ url: 'nats://svc-api:p@n:4222', cluster: 'prod', callers: ['admin'] })
    expect(byName.other).toBeNull()
  })
})
