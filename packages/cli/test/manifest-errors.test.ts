// Broken manifests through the real binary: one message naming file, service and field; exit 2; nothing started.

import { afterAll, describe, expect, it } from '@jest/globals'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { makeProject, removeProject, svc } from './helpers/svc.js'

const HEADER = "import { defineServices } from '@services-cluster/core'\n"
const SERVICE = "import { defineService } from '@services-cluster/core/remote'\nexport default defineService(async () => ({}))\n"

function manifest(body: string): string {
  return `${HEADER}export default defineServices({\n  services: {\n${body}\n  },\n})\n`
}

const cases: { name: string; config: string; code: string; location: RegExp; message: RegExp }[] = [
  {
    name: 'a dependency cycle',
    config: manifest("    a: { entry: './services/a.ts', dependsOn: ['b'] },\n    b: { entry: './services/b.ts', dependsOn: ['a'] },"),
    code: 'SVC_ERR_DEPENDENCY_CYCLE',
    location: /svc\.config\.ts:4 › service "a" › dependsOn/,
    message: /a → b → a/,
  },
  {
    name: 'an unknown dependency',
    config: manifest("    a: { entry: './services/a.ts' },\n    b: { entry: './services/b.ts', dependsOn: ['nope'] },"),
    code: 'SVC_ERR_UNKNOWN_DEPENDENCY',
    location: /svc\.config\.ts:5 › service "b" › dependsOn/,
    message: /Service "b" depends on "nope", which is not declared/,
  },
  {
    name: 'a missing entry',
    config: manifest("    a: { entry: './services/a.ts' },\n    b: { entry: './services/gone.ts', dependsOn: ['a'] },"),
    code: 'SVC_ERR_ENTRY_NOT_FOUND',
    location: /svc\.config\.ts:5 › service "b" › entry/,
    message: /entry "\.\/services\/gone\.ts" was not found/,
  },
  {
    name: 'a field of the wrong type',
    config: manifest("    a: { entry: './services/a.ts', stopTimeoutMs: -5 },"),
    code: 'SVC_ERR_MANIFEST_INVALID',
    location: /svc\.config\.ts:4 › service "a" › stopTimeoutMs/,
    message: /stopTimeoutMs must be whole milliseconds from 1 to 2147483647 \(setTimeout's limit\), not -5/,
  },
  {
    // `svc validate` said valid, then `svc up` died with "RangeError: Invalid array length".
    name: 'a log buffer of 2.5 lines',
    config: manifest("    a: { entry: './services/a.ts', logs: { bufferLines: 2.5 } },"),
    code: 'SVC_ERR_MANIFEST_INVALID',
    location: /svc\.config\.ts:4 › service "a" › logs\.bufferLines/,
    message: /logs\.bufferLines must be a whole number from 1 to 2147483647, not 2\.5/,
  },
  {
    // `svc validate` said valid, then `svc up` died with "TypeError: p.fs.read.join is not a function".
    name: 'fs.read given as one string',
    config: manifest("    a: { entry: './services/a.ts', permissions: { fs: { read: '/srv' } } },"),
    code: 'SVC_ERR_MANIFEST_INVALID',
    location: /svc\.config\.ts:4 › service "a" › permissions\.fs\.read/,
    message: /permissions\.fs\.read must be an array of absolute paths/,
  },
  {
    name: 'a misspelt permission',
    config: manifest("    a: { entry: './services/a.ts', permissions: { netwrok: false } },"),
    code: 'SVC_ERR_MANIFEST_INVALID',
    location: /svc\.config\.ts:4 › service "a" › permissions\.netwrok/,
    message: /permissions has an unknown field "netwrok" \(did you mean "network"\?\)/,
  },
  {
    name: 'a syntax error',
    config: manifest("    a: { entry: './services/a.ts', dependsOn: [ },"),
    code: 'SVC_ERR_CLI_CONFIG_LOAD',
    location: /svc\.config\.ts:4:\d+/,
    message: /Could not load the manifest: ParseError/,
  },
]

describe('broken manifests', () => {
  const dirs: string[] = []
  afterAll(async () => {
    for (const dir of dirs) await removeProject(dir)
  })

  for (const c of cases) {
    it(`reports ${c.name} with file, service and field, exits 2, and starts nothing`, async () => {
      const dir = makeProject({ 'svc.config.ts': c.config, 'services/a.ts': SERVICE, 'services/b.ts': SERVICE }, { hello: false })
      dirs.push(dir)
      for (const args of [['validate'], ['up']]) {
        const result = await svc(dir, args)
        expect(result.code).toBe(2)
        const [first, at, hint, ...rest] = result.stderr.trimEnd().split('\n')
        expect(first).toMatch(new RegExp(`^error ${c.code}: `))
        expect(first).toMatch(c.message)
        expect(at).toMatch(/^ {2}at /)
        expect(at).toMatch(c.location)
        expect(hint).toMatch(/^ {2}hint: /)
        expect(rest).toEqual([]) // no stack trace
      }
      expect(existsSync(join(dir, '.svc'))).toBe(false)
      const json = await svc(dir, ['validate', '--json'])
      expect(json.code).toBe(2)
      expect(JSON.parse(json.stdout)).toEqual({ valid: false, error: expect.objectContaining({ code: c.code }) })
    })
  }

  it('lists every problem of the manifest in one error, from validate as from up', async () => {
    const config = manifest(
      "    a: { entry: './services/a.ts', stopTimeoutMs: Infinity, permissions: { fs: { write: ['*'] } } },\n" +
        "    b: { entry: './services/b.ts', restart: { backoff: { jitter: NaN } } },",
    )
    const dir = makeProject({ 'svc.config.ts': config, 'services/a.ts': SERVICE, 'services/b.ts': SERVICE }, { hello: false })
    dirs.push(dir)
    for (const args of [['validate'], ['up']]) {
      const result = await svc(dir, args)
      expect(result.code).toBe(2)
      expect(result.stderr.trimEnd().split('\n')).toEqual([
        'error SVC_ERR_MANIFEST_INVALID: The manifest has 3 problems; fix each:',
        expect.stringMatching(/^ {2}- Service "a": permissions\.fs\.write\[0\] is "\*": to leave it unrestricted, omit permissions\.fs\.write\.$/),
        expect.stringMatching(/^ {2}- Service "a": stopTimeoutMs must be whole milliseconds .*, not Infinity\.$/),
        expect.stringMatching(/^ {2}- Service "b": restart\.backoff\.jitter must be a number from 0 to 1, not NaN\.$/),
        '  at svc.config.ts',
        expect.stringMatching(/^ {2}hint: /),
      ])
    }
    expect(existsSync(join(dir, '.svc'))).toBe(false)
    const json = await svc(dir, ['validate', '--json'])
    expect(json.code).toBe(2)
    const { error } = JSON.parse(json.stdout) as { error: { code: string; problems: { path: string }[] } }
    expect(error.code).toBe('SVC_ERR_MANIFEST_INVALID')
    expect(error.problems.map((p) => p.path)).toEqual([
      'services.a.permissions.fs.write[0]',
      'services.a.stopTimeoutMs',
      'services.b.restart.backoff.jitter',
    ])
  })

  it('says where it looked when there is no manifest, and exits 2', async () => {
    const dir = makeProject({ 'README.md': 'empty project\n' }, { hello: false })
    dirs.push(dir)
    const result = await svc(dir, ['ps'])
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/^error SVC_ERR_CLI_CONFIG_NOT_FOUND: No svc\.config\.ts \(or \.mts\/\.js\/\.mjs\) in /)
    const named = await svc(dir, ['validate', '-c', 'missing.config.ts'])
    expect(named.code).toBe(2)
    expect(named.stderr).toContain('The manifest "missing.config.ts" does not exist')
  })

  it('validates a good manifest found with -c from another directory', async () => {
    const dir = makeProject()
    dirs.push(dir)
    const result = await svc(join(dir, 'services'), ['validate', '-c', '../svc.config.ts', '--json'])
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout)).toMatchObject({ valid: true, startOrder: ['greeter', 'front'] })
  })

  it('finds the manifest in a parent folder when run in a subfolder without -c', async () => {
    const dir = makeProject({ 'services/deep/er/.keep': '' })
    dirs.push(dir)
    const result = await svc(join(dir, 'services/deep/er'), ['validate', '--json'])
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout)).toMatchObject({ valid: true, startOrder: ['greeter', 'front'] })
  })

  it('exits 2 on a usage error', async () => {
    const dir = makeProject()
    dirs.push(dir)
    const unknown = await svc(dir, ['bogus'])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain("unknown command 'bogus'")
    const badCall = await svc(dir, ['call', 'no-dot'])
    expect(badCall.code).toBe(2)
    expect(badCall.stderr).toMatch(/^error SVC_ERR_CLI_USAGE: "no-dot" is not service\.method\./)
    const graph = await svc(dir, ['graph', '--format', 'svg'])
    expect(graph.code).toBe(2)
  })
})
