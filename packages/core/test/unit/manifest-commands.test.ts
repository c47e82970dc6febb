// Command services, one-shots and dependency conditions in the manifest: what is accepted, and every refusal names
// the field and says what to do.

import { describe, expect, test } from '@jest/globals'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ManifestProblem } from '../../src/manifest/checks.js'
import { normalizeManifest } from '../../src/manifest/normalize.js'
import { resolveEntry } from '../../src/manifest/resolve-entry.js'
import type { Manifest } from '../../src/manifest/types.js'

const keepEntry = (_name: string, entry: string) => entry
const normalize = (services: Record<string, unknown>, cwd = '/project') => normalizeManifest({ services } as Manifest, cwd, keepEntry)

function problemsOf(services: Record<string, unknown>): string[] {
  try {
    normalize(services)
  } catch (error) {
    const e = error as { code: string; details?: { problems?: ManifestProblem[] } }
    expect(e.code).toBe('SVC_ERR_MANIFEST_INVALID')
    return (e.details?.problems ?? []).map((p) => `${p.path}: ${p.message}`)
  }
  throw new Error('the manifest was accepted')
}

describe('command services', () => {
  test('an argv runs as it is; a string runs through /bin/sh; both are shown as people read them', () => {
    const { services } = normalize({
      redis: { command: ['redis-server', '--port', '6390', '--save', ''] },
      web: { command: 'python3 -m http.server 8080', cwd: './public' },
    })
    const [redis, web] = services
    expect(redis).toMatchObject({ kind: 'command', entry: '', command: ['redis-server', '--port', '6390', '--save', ''], commandLine: "redis-server --port 6390 --save ''" })
    expect(web).toMatchObject({ kind: 'command', command: ['/bin/sh', '-c', 'python3 -m http.server 8080'], cwd: '/project/public' })
  })

  test('exactly one of entry and command', () => {
    expect(problemsOf({ a: { entry: './a.ts', command: ['true'] } })).toEqual([expect.stringContaining('services.a.command: Service "a": command and entry are both set')])
    expect(problemsOf({ a: { dependsOn: [] } })).toEqual([expect.stringMatching(/services\.a\.entry: .*is missing: set entry .* or command/)])
  })

  test('an empty or ill-typed command is refused', () => {
    expect(problemsOf({ a: { command: [] } })).toEqual([expect.stringContaining('command is empty')])
    expect(problemsOf({ a: { command: ['x', 1] } })).toEqual([expect.stringContaining('command must be an argv array')])
    expect(problemsOf({ a: { command: '  ' } })).toEqual([expect.stringContaining('command must be an argv array')])
  })

  test('what only a Node service has is refused on a command, with what to use instead', () => {
    const problems = problemsOf({ a: { command: ['x'], config: {}, direct: true, nodeArgs: ['--inspect'], health: { method: 'ping' } } })
    expect(problems).toEqual(expect.arrayContaining([
      expect.stringContaining('config is for Node services'),
      expect.stringContaining('direct is for Node services'),
      expect.stringContaining('nodeArgs is for Node services'),
      expect.stringContaining('health.method is for Node services'),
    ]))
  })

  test('a program given as an entry is refused before anything starts, pointing at command', () => {
    expect(() => resolveEntry('py', '/bin/sh', '/')).toThrow(expect.objectContaining({ code: 'SVC_ERR_ENTRY_NOT_MODULE', message: expect.stringContaining("use command instead: command: ['/bin/sh'") }))
  })
})

describe('one-shots', () => {
  test('a one-shot is a command; restart, ready and health do not apply to it', () => {
    expect(problemsOf({ m: { entry: './m.ts', oneshot: true } })).toEqual([expect.stringContaining("oneshot is for command services: run a Node script as command: ['node'")])
    const problems = problemsOf({ m: { command: ['x'], oneshot: true, restart: 'always', health: { url: 'http://x/' } } })
    expect(problems).toEqual([expect.stringContaining('restart does not apply to a one-shot'), expect.stringContaining('health does not apply to a one-shot')])
  })
})

describe('dependsOn conditions', () => {
  test('an array means ready; an object names a condition per dependency; a one-shot\'s ready is its completion', () => {
    const { services } = normalize({
      db: { command: ['db'] },
      migrate: { command: ['m'], oneshot: true, dependsOn: ['db'] },
      web: { command: ['w'] },
      api: { entry: './api.ts', dependsOn: { db: 'ready', migrate: 'completed', web: 'started' } },
      worker: { entry: './w.ts', dependsOn: ['migrate'] },
    })
    const byName = Object.fromEntries(services.map((s) => [s.name, s]))
    expect(byName.migrate!.conditions).toEqual({ db: 'ready' })
    expect(byName.api!.dependsOn).toEqual(['db', 'migrate', 'web'])
    expect(byName.api!.conditions).toEqual({ db: 'ready', migrate: 'completed', web: 'started' })
    expect(byName.worker!.conditions).toEqual({ migrate: 'completed' })
  })

  test("an unknown condition, and 'completed' on a service that is not a one-shot, are refused", () => {
    expect(problemsOf({ db: { command: ['db'] }, api: { entry: './a.ts', dependsOn: { db: 'healthy' } } })).toEqual([
      expect.stringContaining("services.api.dependsOn.db: Service \"api\": dependsOn.db must be one of 'started', 'ready', 'completed', not \"healthy\""),
    ])
    expect(problemsOf({ db: { command: ['db'] }, api: { entry: './a.ts', dependsOn: { db: 'completed' } } })).toEqual([
      expect.stringContaining('"db" is not a one-shot'),
    ])
  })

  test('the graph checks the names of the object form as of the array form', () => {
    expect(() => normalize({ api: { entry: './a.ts', dependsOn: { nope: 'ready' } } })).toThrow(expect.objectContaining({ code: 'SVC_ERR_UNKNOWN_DEPENDENCY' }))
  })
})

describe('process settings', () => {
  test('stopSignal is a signal name other than SIGKILL and SIGSTOP', () => {
    expect(normalize({ a: { command: ['x'], stopSignal: 'SIGINT' } }).services[0]!.stopSignal).toBe('SIGINT')
    expect(normalize({ a: { command: ['x'] } }).services[0]!.stopSignal).toBe('SIGTERM')
    for (const bad of ['SIGKILL', 'INT', 'SIGNOPE', 2]) expect(problemsOf({ a: { command: ['x'], stopSignal: bad } })).toEqual([expect.stringContaining('stopSignal must be a signal name')])
  })

  test('nodeArgs reach a Node service; on a sandboxed one, flags that would lift its permissions are refused', () => {
    expect(normalize({ a: { entry: './a.ts', nodeArgs: ['--max-old-space-size=64', '--allow-fs-read=/'] } }).services[0]!.nodeArgs).toEqual(['--max-old-space-size=64', '--allow-fs-read=/'])
    const problems = problemsOf({ a: { entry: './a.ts', permissions: { childProcess: false }, nodeArgs: ['--max-old-space-size=64', '--allow-child-process', '--env-file=.env', '--permission'] } })
    expect(problems).toHaveLength(3)
    expect(problems[0]).toContain('"--allow-child-process", which would lift the service\'s permissions')
  })

  test('envFile: later files win, env wins over them; a missing file is a coded error naming it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'svc-envfile-'))
    try {
      writeFileSync(join(dir, '.env'), 'A=1\nB=from-env\n# comment\nQUOTED="a b"\n')
      writeFileSync(join(dir, '.env.local'), 'B=from-local\n')
      const [a] = normalize({ a: { command: ['x'], envFile: ['.env', '.env.local'], env: { A: 'manifest' } } }, dir).services
      expect(a!.env).toMatchObject({ A: 'manifest', B: 'from-local', QUOTED: 'a b' })
      expect(() => normalize({ a: { command: ['x'], envFile: '.env.missing' } }, dir)).toThrow(
        expect.objectContaining({ code: 'SVC_ERR_ENV_FILE', service: 'a', message: expect.stringContaining('envFile ".env.missing" cannot be read (ENOENT') }),
      )
      expect(problemsOf({ a: { command: ['x'], envFile: [''] } })).toEqual([expect.stringContaining('envFile must be a path')])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
