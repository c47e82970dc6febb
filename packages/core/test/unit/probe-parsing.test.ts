// `ready` and the tcp / exec health checks are read like every other manifest field: each problem named, all at once.

import { describe, expect, test } from '@jest/globals'
import { Checker, type ManifestProblem } from '../../src/manifest/checks.js'
import { normalizeManifest } from '../../src/manifest/normalize.js'
import type { Manifest } from '../../src/manifest/types.js'
import { describeProbe, readProbe, type ResolvedProbe } from '../../src/probes/index.js'

function read(value: unknown): { probe: ResolvedProbe | null; problems: ManifestProblem[] } {
  const problems: ManifestProblem[] = []
  const probe = readProbe(new Checker(problems, 'redis'), value, 'ready')
  return { probe, problems }
}

const messages = (value: unknown) => read(value).problems.map((p) => p.message)

describe('a probe is read with its defaults', () => {
  test.each([
    [{ http: 'http://127.0.0.1:8080/' }, { kind: 'http', url: 'http://127.0.0.1:8080/' }],
    [{ tcp: 6390 }, { kind: 'tcp', host: '127.0.0.1', port: 6390 }],
    [{ tcp: 'db.local:5432' }, { kind: 'tcp', host: 'db.local', port: 5432 }],
    [{ tcp: '[::1]:5432' }, { kind: 'tcp', host: '::1', port: 5432 }],
    [{ exec: ['pg_isready', '-p', '5432'] }, { kind: 'exec', argv: ['pg_isready', '-p', '5432'] }],
    [{ log: 'Ready to accept' }, { kind: 'log', pattern: 'Ready to accept' }],
  ])('%j', (value, target) => {
    expect(read(value)).toEqual({ probe: { ...target, intervalMs: 250, timeoutMs: 2000, startGraceMs: 0 }, problems: [] })
  })

  test('timing given is kept; startGraceMs may be 0', () => {
    expect(read({ tcp: 1, intervalMs: 50, timeoutMs: 10, startGraceMs: 0 }).probe).toMatchObject({ intervalMs: 50, timeoutMs: 10, startGraceMs: 0 })
  })

  test('absent is null and no problem', () => {
    expect(read(undefined)).toEqual({ probe: null, problems: [] })
  })
})

describe('every problem is listed, in the manifest words', () => {
  test('exactly one of http, tcp, exec or log', () => {
    expect(messages({})).toEqual([
      `Service "redis": ready needs one of http, tcp, exec or log: { http: 'http://…' }, { tcp: 6390 }, { exec: ['program', 'arg'] } or { log: 'regex' }.`,
    ])
    expect(messages({ tcp: 6390, log: 'Ready' })).toEqual(['Service "redis": ready has tcp and log: give exactly one of http, tcp, exec or log.'])
  })

  test('an unknown key, a port out of range and a bad timing are reported together', () => {
    const { probe, problems } = read({ tcp: 70000, intervalMs: 0, startGrace: 5 })
    expect(probe).toBeNull()
    expect(problems.map((p) => p.path)).toEqual(['services.redis.ready.startGrace', 'services.redis.ready.tcp', 'services.redis.ready.intervalMs'])
    expect(problems[0]!.message).toBe(
      'Service "redis": ready has an unknown field "startGrace" (did you mean "startGraceMs"?). Known fields: http, tcp, exec, log, intervalMs, timeoutMs, startGraceMs.',
    )
    expect(problems[1]!.message).toBe('Service "redis": ready.tcp has port 70000: a port is a whole number from 1 to 65535.')
    expect(problems[2]!.message).toContain('ready.intervalMs must be whole milliseconds from 1 to 2147483647')
  })

  test.each([
    [{ tcp: 0 }, 'ready.tcp has port 0'],
    [{ tcp: 'db:99999' }, 'ready.tcp has port 99999'],
    [{ tcp: '6390' }, `ready.tcp must be a port such as 6390, or 'host:port' such as 'db.local:5432', not "6390": write the port as a number, 6390.`],
    [{ tcp: 'db' }, 'ready.tcp must be a port such as 6390'],
    [{ http: 'localhost:8080' }, `ready.http must be an http(s) URL such as 'http://127.0.0.1:8080/', not "localhost:8080".`],
    [{ http: 5 }, 'ready.http must be an http(s) URL, not 5.'],
    [{ exec: 'pg_isready -p 5432' }, `ready.exec must be an array such as ['pg_isready', '-p', '5432'], not "pg_isready -p 5432": no shell runs it (for one, write ['sh', '-c', '…']).`],
    [{ exec: [] }, 'ready.exec is empty'],
    [{ exec: ['pg_isready', 5432] }, 'ready.exec must be a program and its arguments, all strings'],
    [{ log: '(unclosed' }, 'ready.log is not a valid regular expression (Invalid regular expression: /(unclosed/: Unterminated group).'],
    [{ log: '' }, 'ready.log must be a regular expression'],
    [{ log: 'Ready', intervalMs: 100 }, 'ready.intervalMs has no meaning for a log probe, which matches each line as it is written: remove it.'],
    [{ log: 'Ready', timeoutMs: 100 }, 'ready.timeoutMs has no meaning for a log probe'],
    [{ tcp: 1, startGraceMs: -1 }, 'ready.startGraceMs must be whole milliseconds from 0'],
    ['tcp:6390', 'ready must be {'],
  ])('%j', (value, says) => {
    const found = messages(value)
    expect(found).toHaveLength(1)
    expect(found[0]).toContain(says)
    expect(found[0]).toMatch(/^Service "redis": /)
  })
})

describe('describeProbe names it for people', () => {
  test.each([
    [{ tcp: 6390 }, 'tcp 127.0.0.1:6390'],
    [{ tcp: '[::1]:6390' }, 'tcp [::1]:6390'],
    [{ http: 'http://127.0.0.1:8080/' }, 'http http://127.0.0.1:8080/'],
    [{ exec: ['pg_isready', '-p', '5432'] }, 'exec pg_isready -p 5432'],
    [{ exec: ['sh', '-c', 'test -e ready'] }, 'exec sh -c "test -e ready"'],
    [{ log: 'Ready to accept' }, 'log /Ready to accept/'],
  ])('%j', (value, text) => {
    expect(describeProbe(read(value).probe!)).toBe(text)
  })
})

describe('health gains tcp and exec beside method and url', () => {
  const service = (health: unknown) =>
    normalizeManifest({ services: { api: { entry: 'x', health } } } as unknown as Manifest, '/project', (_n, e) => e).services[0]!.health

  test('each check resolves to a method or a probe, with the health timing', () => {
    expect(service({ method: 'check' })).toEqual({ check: { method: 'check' }, intervalMs: 10_000, timeoutMs: 5_000, failureThreshold: 3 })
    expect(service({ tcp: 6390, timeoutMs: 100 })!.check).toEqual({
      probe: { kind: 'tcp', host: '127.0.0.1', port: 6390, intervalMs: 10_000, timeoutMs: 100, startGraceMs: 0 },
    })
    expect(service({ exec: ['true'] })!.check).toMatchObject({ probe: { kind: 'exec', argv: ['true'] } })
    expect(service({ url: 'http://127.0.0.1/health' })!.check).toMatchObject({ probe: { kind: 'http', url: 'http://127.0.0.1/health' } })
  })

  function healthProblems(health: unknown): string[] {
    try {
      service(health)
    } catch (error) {
      return ((error as { details: { problems: ManifestProblem[] } }).details.problems).map((p) => p.message)
    }
    throw new Error('accepted')
  }

  test.each([
    [{ method: 'check', tcp: 6390 }, 'Service "api": health needs exactly one of method, url, tcp or exec, not method and tcp.'],
    [{ intervalMs: 100 }, 'Service "api": health needs exactly one of method, url, tcp or exec.'],
    [{ tcp: 65536 }, 'Service "api": health.tcp has port 65536: a port is a whole number from 1 to 65535.'],
    [{ exec: 'curl -f http://x' }, 'Service "api": health.exec must be an array such as'],
    [{ tcp: 1, startGraceMs: 5 }, 'Service "api": health has an unknown field "startGraceMs"'],
  ])('%j', (health, says) => {
    const found = healthProblems(health)
    expect(found).toHaveLength(1)
    expect(found[0]).toContain(says)
  })
})
