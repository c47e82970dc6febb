// `svc apply` against a running manager: the plan first (+ add, - remove, ~ change), --dry-run changes nothing, and
// applying moves only what changed — every other service keeps its pid. A bad manifest is refused with its problems.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { makeProject, removeProject, svc } from './helpers/svc.js'

const manifest = (services: string) => `
import { defineServices } from '@services-cluster/core'
export default defineServices({
  services: {
${services}
  },
})
`
const GREETER = `    greeter: { entry: './services/greeter.ts' },`
const FRONT = `    front: { entry: './services/front.ts', dependsOn: ['greeter'] },`
const BEFORE = manifest([GREETER, FRONT, `    extra: { entry: './services/greeter.ts', config: { prefix: 'Hi' } },`, `    old: { entry: './services/greeter.ts' },`].join('\n'))
const AFTER = manifest([GREETER, FRONT, `    extra: { entry: './services/greeter.ts', config: { prefix: 'Hey' } },`, `    fresh: { entry: './services/greeter.ts' },`].join('\n'))

async function pids(dir: string): Promise<Record<string, number>> {
  const ps = await svc(dir, ['ps', '--json'])
  return Object.fromEntries((JSON.parse(ps.stdout) as { name: string; pid: number }[]).map((s) => [s.name, s.pid]))
}

describe('svc apply', () => {
  let dir: string
  let before: Record<string, number>

  beforeAll(async () => {
    dir = makeProject({ 'svc.config.ts': BEFORE })
    const up = await svc(dir, ['up', '--detach', '--json'])
    expect(up.code).toBe(0)
    before = await pids(dir)
  })

  afterAll(async () => {
    await removeProject(dir)
  })

  it('--dry-run shows the plan and changes nothing', async () => {
    writeFileSync(join(dir, 'svc.config.ts'), AFTER)
    const dry = await svc(dir, ['apply', '--dry-run'])
    expect(dry.code).toBe(0)
    expect(dry.stdout.split('\n')).toEqual([
      '  + fresh',
      '  - old',
      '  ~ extra  (config)',
      'Plan: 1 to add, 1 to change, 1 to remove; 2 unchanged (greeter, front).',
      '',
    ])
    expect(await pids(dir)).toEqual(before)
  })

  it('a bad manifest is refused with every problem, and the graph is untouched', async () => {
    writeFileSync(join(dir, 'svc.config.ts'), AFTER.replace("fresh: { entry: './services/greeter.ts' }", "fresh: { entry: './services/greeter.ts', restart: 'sometimes', stopTimeoutMs: -1 }"))
    const refused = await svc(dir, ['apply'])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain('SVC_ERR_MANIFEST_INVALID')
    expect(refused.stderr).toContain('restart must be one of never, on-failure, always')
    expect(refused.stderr).toContain('stopTimeoutMs must be whole milliseconds')
    expect(await pids(dir)).toEqual(before)
  })

  it('removing a service whose dependent stays is refused with a coded error', async () => {
    writeFileSync(join(dir, 'svc.config.ts'), manifest(FRONT))
    const refused = await svc(dir, ['apply'])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain('SVC_ERR_REMOVED_DEPENDENCY')
    expect(refused.stderr).toContain('"greeter" cannot be removed: "front" depends on it and stays')
    expect(await pids(dir)).toEqual(before)
  })

  it('applies an added, a removed and a changed service; every other service keeps its pid', async () => {
    writeFileSync(join(dir, 'svc.config.ts'), AFTER)
    const applied = await svc(dir, ['apply', '--json'])
    expect(applied.code).toBe(0)
    const result = JSON.parse(applied.stdout) as { plan: { add: string[]; remove: string[] }; applied: boolean; services: { name: string; state: string }[] }
    expect(result.applied).toBe(true)
    expect(result.services.map((s) => [s.name, s.state]).sort()).toEqual([['extra', 'running'], ['fresh', 'running'], ['front', 'running'], ['greeter', 'running']])
    const after = await pids(dir)
    expect(after.greeter).toBe(before.greeter)
    expect(after.front).toBe(before.front)
    expect(after.extra).not.toBe(before.extra)
    expect(after.old).toBeUndefined()
    const again = await svc(dir, ['apply'])
    expect(again.stderr).toContain('nothing to change')
  })
})
