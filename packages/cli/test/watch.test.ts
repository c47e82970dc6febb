// `svc up --watch` with real processes: an edit under a service's entry directory restarts it and its dependents
// (dependents closed first, started again in order); node_modules and other services are left alone.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { HELLO, makeProject, removeProject, startSvc, svc, type Running } from './helpers/svc.js'

const hello = (file: string) => readFileSync(join(HELLO, 'services', file), 'utf8')

// Each service in a directory of its own: --watch watches the entry's directory.
const FILES = {
  'svc.config.ts': `
import { defineServices } from '@services-cluster/core'
export default defineServices({
  services: {
    greeter: { entry: './services/greeter/index.ts' },
    front: { entry: './services/front/index.ts', dependsOn: ['greeter'] },
    other: { entry: './services/other/index.ts' },
  },
})
`,
  'services/greeter/index.ts': hello('greeter.ts'),
  'services/front/index.ts': hello('front.ts').replace("'./greeter.ts'", "'../greeter/index.ts'"),
  'services/other/index.ts': hello('greeter.ts'),
}

async function pids(dir: string): Promise<Record<string, number>> {
  const ps = await svc(dir, ['ps', '--json'])
  return Object.fromEntries((JSON.parse(ps.stdout) as { name: string; pid: number }[]).map((s) => [s.name, s.pid]))
}

/** The status lines printed after `from` (an offset into stderr). */
const linesAfter = (up: Running, from: number) => up.stderr.slice(from).split('\n').filter(Boolean)

describe('svc up --watch', () => {
  let dir: string
  let up: Running

  beforeAll(async () => {
    dir = makeProject(FILES, { hello: false })
    up = startSvc(dir, ['up', '--watch'])
    await up.until((r) => r.stderr.includes('3 services running'), 'the graph to run')
  })

  afterAll(async () => {
    up.child.kill('SIGINT')
    await up.exited
    await removeProject(dir)
  })

  it('an edit reloads the edited service without downtime, and nothing else', async () => {
    const before = await pids(dir)
    const from = up.stderr.length
    writeFileSync(join(dir, 'services/greeter/index.ts'), hello('greeter.ts') + '\n// edited\n')
    await up.until((r) => /svc: greeter#0 stopped/.test(r.stderr.slice(from)), 'the old greeter to stop')
    const lines = linesAfter(up, from).map((l) => l.replace(/ (pid=|\().*/, ''))
    expect(lines).toEqual(['svc: changed: services/greeter/index.ts; reloading greeter', 'svc: greeter#0 running', 'svc: greeter#0 stopped'])
    const after = await pids(dir)
    expect(after.other).toBe(before.other)
    expect(after.front).toBe(before.front) // its dependent never noticed
    expect(after.greeter).not.toBe(before.greeter)
  })

  it('a change under node_modules restarts nothing', async () => {
    const before = await pids(dir)
    const from = up.stderr.length
    mkdirSync(join(dir, 'services/greeter/node_modules/dep'), { recursive: true })
    writeFileSync(join(dir, 'services/greeter/node_modules/dep/index.js'), 'module.exports = 1\n')
    // A change that counts, after: the first restart reported must be its own.
    writeFileSync(join(dir, 'services/other/index.ts'), hello('greeter.ts') + '\n// edited\n')
    await up.until((r) => /svc: other#0 stopped/.test(r.stderr.slice(from)), 'other to be reloaded')
    expect(linesAfter(up, from)[0]).toBe('svc: changed: services/other/index.ts; reloading other')
    const after = await pids(dir)
    expect(after.greeter).toBe(before.greeter)
    expect(after.front).toBe(before.front)
  })

  it('an edit that fails to start is reported, and the next edit brings the service and its dependents back', async () => {
    const from = up.stderr.length
    writeFileSync(join(dir, 'services/greeter/index.ts'), "throw new Error('half-written')\n")
    await up.until((r) => r.stderr.slice(from).includes('waiting for the next change'), 'the failed restart to be reported')
    const fixed = up.stderr.length
    writeFileSync(join(dir, 'services/greeter/index.ts'), hello('greeter.ts'))
    await up.until((r) => /svc: front running/.test(r.stderr.slice(fixed)), 'front to run again')
    expect(linesAfter(up, fixed).map((l) => l.replace(/ (pid=|\().*/, ''))).toEqual([
      'svc: changed: services/greeter/index.ts; restarting greeter',
      'svc: greeter running',
      'svc: front running',
    ])
  })
})
