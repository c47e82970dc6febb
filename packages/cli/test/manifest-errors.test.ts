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
    message: /stopTimeoutMs must be a number greater than 0/,
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
