// The real `svc` binary against a detached manager whose greeter runs two instances: ps/top show a row per instance,
// scale and reload change them, and their coded refusals print as one line.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { makeProject, removeProject, svc } from './helpers/svc.js'

interface Instance {
  id: string
  state: string
  pid: number | null
  inFlight: number
}
interface Snapshot {
  name: string
  display: string
  desiredInstances: number
  instances: Instance[]
}

// A greeter that refuses to start while `refuse` exists in the project: a reload whose replacement fails.
const PICKY = `import { existsSync } from 'node:fs'
import { defineService } from '@services-cluster/core/remote'
export default defineService(async () => {
  if (existsSync('refuse')) throw new Error('refusing to start: ./refuse exists')
  return { who: () => process.env.SVC_INSTANCE }
})
`
const CONFIG = `import { defineServices } from '@services-cluster/core'
export default defineServices({
  services: {
    greeter: { entry: './services/greeter.ts', instances: 2 },
    front: { entry: './services/front.ts', dependsOn: ['greeter'] },
    picky: { entry: './services/picky.ts', instances: 2 },
  },
})
`

const cells = (row: string) => row.trim().split(/\s{2,}/)

describe('instances through svc (a detached manager)', () => {
  let dir: string

  beforeAll(async () => {
    dir = makeProject({ 'svc.config.ts': CONFIG, 'services/picky.ts': PICKY })
    const up = await svc(dir, ['up', '--detach', '--json'])
    expect(up.stderr).toBe('')
    expect(up.code).toBe(0)
  })

  afterAll(async () => {
    await removeProject(dir)
  })

  const ps = async () => JSON.parse((await svc(dir, ['ps', '--json'])).stdout) as Snapshot[]

  it('ps shows the count in the service row and an indented row per instance; a one-instance service has none', async () => {
    const out = await svc(dir, ['ps'])
    expect(out.code).toBe(0)
    const [header, ...rows] = out.stdout.trimEnd().split('\n')
    expect(cells(header!)).toEqual(['NAME', 'STATE', 'PID', 'INFLIGHT', 'UPTIME', 'RESTARTS', 'CPU', 'MEM', 'DEPENDS ON'])
    expect(rows.map((r) => cells(r).slice(0, 2))).toEqual([
      ['greeter', 'running 2/2'],
      ['greeter#0', 'running'],
      ['greeter#1', 'running'],
      ['front', 'running'],
      ['picky', 'running 2/2'],
      ['picky#0', 'running'],
      ['picky#1', 'running'],
    ])
    expect(rows[1]).toMatch(/^ {2}greeter#0/) // indented under its service
    const services = await ps()
    const greeter = services.find((s) => s.name === 'greeter')!
    for (const [k, instance] of greeter.instances.entries()) {
      expect(cells(rows[1 + k]!).slice(2, 4)).toEqual([String(instance.pid), '0']) // pid, in flight
    }
  })

  it('ps --json carries the instances as the manager has them', async () => {
    const greeter = (await ps()).find((s) => s.name === 'greeter')!
    expect(greeter.desiredInstances).toBe(2)
    expect(greeter.instances.map((i) => [i.id, i.state, typeof i.pid])).toEqual([
      ['greeter#0', 'running', 'number'],
      ['greeter#1', 'running', 'number'],
    ])
  })

  it('top (not on a terminal) prints the same rows once', async () => {
    const top = await svc(dir, ['top'])
    expect(top.code).toBe(0)
    const names = top.stdout.trimEnd().split('\n').slice(1).map((r) => cells(r)[0])
    expect(names.filter((n) => n!.startsWith('greeter'))).toEqual(['greeter', 'greeter#0', 'greeter#1'])
    expect(names.indexOf('greeter#0')).toBe(names.indexOf('greeter') + 1)
  })

  it('scale adds instances and removes them, and says so', async () => {
    const up = await svc(dir, ['scale', 'greeter', '3'])
    expect(up.stderr).toBe('')
    expect(up.code).toBe(0)
    expect(up.stdout).toMatch(/^scaled greeter to 3 instances \(3\/3 running\) in \d+ ms\n$/)
    expect((await ps()).find((s) => s.name === 'greeter')!.instances.map((i) => i.id)).toEqual(['greeter#0', 'greeter#1', 'greeter#2'])
    const rows = (await svc(dir, ['ps'])).stdout.split('\n').map(cells)
    expect(rows.find((r) => r[0] === 'greeter')!.slice(0, 2)).toEqual(['greeter', 'running 3/3'])

    const down = await svc(dir, ['scale', 'greeter', '2'])
    expect(down.code).toBe(0)
    expect(down.stdout).toMatch(/^scaled greeter to 2 instances \(2\/2 running\) in \d+ ms\n$/)
    expect((await ps()).find((s) => s.name === 'greeter')!.instances.map((i) => i.id)).toEqual(['greeter#0', 'greeter#1'])
  })

  it('scale refuses a bad count and an unknown service with their codes', async () => {
    const zero = await svc(dir, ['scale', 'greeter', '0'])
    expect(zero.code).toBe(1)
    expect(zero.stderr.split('\n')[0]).toMatch(/^error SVC_ERR_BAD_INSTANCES: Service "greeter" cannot have 0 instances/)
    const ghost = await svc(dir, ['scale', 'ghost', '2', '--json'])
    expect(ghost.code).toBe(1)
    expect(JSON.parse(ghost.stdout).error.code).toBe('SVC_ERR_UNKNOWN_SERVICE')
    const word = await svc(dir, ['scale', 'greeter', 'many'])
    expect(word.code).toBe(2) // a usage error, caught before the manager is asked
    expect(word.stderr).toContain('expected a number of instances')
  })

  it('reload replaces every running service in dependency order, each instance with a new process', async () => {
    const before = await ps()
    const reload = await svc(dir, ['reload'])
    expect(reload.stderr).toBe('')
    expect(reload.code).toBe(0)
    expect(reload.stdout.trimEnd().split('\n').map((l) => l.replace(/in \d+ ms/, 'in N ms'))).toEqual([
      'reloaded greeter (2 instances) in N ms',
      'reloaded front (1 instance) in N ms',
      'reloaded picky (2 instances) in N ms',
    ])
    const after = await ps()
    const pids = (list: Snapshot[]) => list.flatMap((s) => s.instances.map((i) => i.pid))
    for (const pid of pids(after)) expect(pids(before)).not.toContain(pid)
    expect(after.every((s) => s.display === 'running')).toBe(true)
  })

  it('reload of named services reloads only those; unknown names and a failed replacement print their codes', async () => {
    const only = await svc(dir, ['reload', 'front', '--json'])
    expect(only.code).toBe(0)
    expect((JSON.parse(only.stdout) as { reloaded: { service: string }[] }).reloaded.map((r) => r.service)).toEqual(['front'])

    const ghost = await svc(dir, ['reload', 'ghost'])
    expect(ghost.code).toBe(1)
    expect(ghost.stderr.split('\n')[0]).toMatch(/^error SVC_ERR_UNKNOWN_SERVICE: There is no service "ghost"/)

    const pids = (await ps()).find((s) => s.name === 'picky')!.instances.map((i) => i.pid)
    writeFileSync(join(dir, 'refuse'), '')
    try {
      const failed = await svc(dir, ['reload', 'picky'])
      expect(failed.code).toBe(1)
      expect(failed.stderr.split('\n')[0]).toMatch(/^error SVC_ERR_RELOAD_FAILED: The replacement for picky#0 did not start \(.*refusing to start/)
    } finally {
      rmSync(join(dir, 'refuse'))
    }
    const picky = (await ps()).find((s) => s.name === 'picky')!
    expect(picky.instances.map((i) => [i.state, i.pid])).toEqual(pids.map((pid) => ['running', pid])) // the old ones keep serving
  })

  it('kill accepts an instance: that one restarts alone, its siblings and dependents keep their processes', async () => {
    const before = await ps()
    const pidsOf = (list: Snapshot[], name: string) => list.find((s) => s.name === name)!.instances.map((i) => i.pid)
    const kill = await svc(dir, ['kill', 'greeter#1'])
    expect(kill.stderr).toBe('')
    expect(kill.code).toBe(0)
    expect(kill.stdout.split('\n')[0]).toBe('killed greeter#1 with SIGKILL')
    // Its restart may still wait for the supervisor's backoff: ask until it runs again.
    let after = await ps()
    for (const deadline = Date.now() + 20_000; after.find((s) => s.name === 'greeter')!.instances.some((i) => i.state !== 'running') && Date.now() < deadline; ) after = await ps()
    expect(pidsOf(after, 'greeter')[0]).toBe(pidsOf(before, 'greeter')[0])
    expect(pidsOf(after, 'greeter')[1]).not.toBe(pidsOf(before, 'greeter')[1])
    expect(pidsOf(after, 'front')).toEqual(pidsOf(before, 'front'))
    expect(after.find((s) => s.name === 'greeter')!.instances.map((i) => i.state)).toEqual(['running', 'running'])

    const missing = await svc(dir, ['kill', 'greeter#7'])
    expect(missing.code).toBe(1)
    expect(missing.stderr.split('\n')[0]).toMatch(/^error SVC_ERR_UNKNOWN_SERVICE: Service "greeter" has no instance greeter#7/)
    const signal = await svc(dir, ['kill', 'greeter', '-s', 'NOPE'])
    expect(signal.code).toBe(1)
    expect(signal.stderr).toContain('params.signal must be a signal name')
  })
})
