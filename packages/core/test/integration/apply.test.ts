// manager.apply(manifest) with real processes: only what changed moves. Added services start, removed ones close,
// changed ones (and their running dependents) restart; every other service keeps its process.

import { afterEach, describe, expect, test } from '@jest/globals'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Manifest, ServicesManager } from '../../src/index.js'
import { fixtureManager, FIXTURES, isAlive } from './harness.js'

let manager: ServicesManager | undefined
let stateDir: string
afterEach(async () => {
  await manager?.close()
  manager = undefined
  rmSync(stateDir, { recursive: true, force: true })
})

const BASE: Manifest['services'] = {
  db: { entry: './plain.mjs' },
  api: { entry: './plain.mjs', dependsOn: ['db'] },
  cache: { entry: './plain.mjs' },
  legacy: { entry: './plain.mjs', dependsOn: ['db'] },
  worker: { entry: './plain.mjs', env: { LEVEL: '1' } },
}

async function running(services = BASE): Promise<ServicesManager> {
  stateDir = mkdtempSync(join(tmpdir(), 'svc-apply-'))
  manager = fixtureManager(services, {}, stateDir)
  await manager.start()
  return manager
}

const manifest = (services: Manifest['services']): Manifest => ({ services, stateDir })
const pids = (m: ServicesManager) => Object.fromEntries(m.services().map((s) => [s.name, s.pid]))

describe('manager.apply', () => {
  test('an added, a removed and a changed service: every other service keeps its pid', async () => {
    const m = await running()
    const before = pids(m)
    const { legacy: _removed, ...kept } = BASE
    const next = manifest({ ...kept, worker: { entry: './plain.mjs', env: { LEVEL: '2' } }, mail: { entry: './plain.mjs', dependsOn: ['db'] } })

    const plan = await m.apply(next)

    expect(plan).toEqual({
      add: ['mail'],
      remove: ['legacy'],
      change: [{ service: 'worker', fields: ['env'] }],
      restart: [],
      unchanged: ['db', 'api', 'cache'],
    })
    const after = pids(m)
    // A changed service keeps its place; an added one comes last.
    expect(Object.keys(after)).toEqual(['db', 'api', 'cache', 'worker', 'mail'])
    for (const name of ['db', 'api', 'cache']) expect(after[name]).toBe(before[name])
    expect(after.worker).not.toBe(before.worker)
    expect(m.state('worker')).toBe('running')
    expect(m.state('mail')).toBe('running')
    expect(isAlive(before.legacy!)).toBe(false)
    expect(isAlive(before.worker!)).toBe(false)
    expect(m.manifest.graph.dependenciesOf('mail')).toEqual(['db'])
    expect(() => m.state('legacy')).toThrow(/no service "legacy"/)
  })

  test('a changed service restarts its running dependents with it, dependents closed first', async () => {
    const m = await running()
    const before = pids(m)
    const order: string[] = []
    m.on('state', (c) => (c.to === 'closed' || c.to === 'running') && order.push(`${c.service}:${c.to}`))

    const plan = await m.apply(manifest({ ...BASE, db: { entry: './plain.mjs', stopTimeoutMs: 4000 } }))

    expect(plan.change).toEqual([{ service: 'db', fields: ['stopTimeoutMs'] }])
    expect(plan.restart.map((r) => r.service).sort()).toEqual(['api', 'legacy'])
    expect(order.indexOf('db:closed')).toBeGreaterThan(Math.max(order.indexOf('api:closed'), order.indexOf('legacy:closed')))
    expect(order.indexOf('db:running')).toBeLessThan(Math.min(order.indexOf('api:running'), order.indexOf('legacy:running')))
    const after = pids(m)
    expect(after.cache).toBe(before.cache)
    expect(after.worker).toBe(before.worker)
    for (const name of ['db', 'api', 'legacy']) expect(after[name]).not.toBe(before[name])
  })

  test('plan() is a dry run: it shows the same plan and changes nothing', async () => {
    const m = await running()
    const before = m.services()
    const { legacy: _removed, ...kept } = BASE
    const plan = m.plan(manifest({ ...kept, mail: { entry: './plain.mjs' } }))
    expect(plan).toMatchObject({ add: ['mail'], remove: ['legacy'], change: [] })
    expect(m.services().map((s) => [s.name, s.pid, s.state])).toEqual(before.map((s) => [s.name, s.pid, s.state]))
  })

  test('an unchanged manifest is an empty plan', async () => {
    const m = await running()
    const plan = await m.apply(manifest(BASE))
    expect(plan).toMatchObject({ add: [], remove: [], change: [], restart: [] })
  })

  test('a bad new manifest is refused with all its problems and leaves the graph untouched', async () => {
    const m = await running()
    const before = pids(m)
    const bad = manifest({ ...BASE, worker: { entry: './plain.mjs', restart: 'sometimes' as never }, mail: { entry: './plain.mjs', stopTimeoutMs: -1 } })
    const refused = await m.apply(bad).catch((e: unknown) => e)
    expect(refused).toMatchObject({ code: 'SVC_ERR_MANIFEST_INVALID' })
    const problems = (refused as { details: { problems: { path: string }[] } }).details.problems.map((p) => p.path)
    expect(problems).toEqual(['services.worker.restart', 'services.mail.stopTimeoutMs'])
    expect(pids(m)).toEqual(before)
  })

  test('removing a service whose dependent stays is refused with SVC_ERR_REMOVED_DEPENDENCY', async () => {
    const m = await running()
    const before = pids(m)
    const { db: _db, ...rest } = BASE
    expect(() => m.plan(manifest(rest))).toThrow(expect.objectContaining({ code: 'SVC_ERR_REMOVED_DEPENDENCY', service: 'db' }))
    await expect(m.apply(manifest(rest))).rejects.toThrow(/"db" cannot be removed: "api" depends on it and stays/)
    expect(pids(m)).toEqual(before)
    // Removing the dependents too is allowed.
    const { api: _api, legacy: _legacy, ...alone } = rest
    await expect(m.apply(manifest(alone))).resolves.toMatchObject({ remove: ['db', 'api', 'legacy'] })
  })

  test('a new stateDir is refused: the running manager lives there', async () => {
    const m = await running()
    expect(() => m.plan({ services: BASE, stateDir: join(FIXTURES, 'elsewhere') })).toThrow(expect.objectContaining({ code: 'SVC_ERR_APPLY_UNSUPPORTED' }))
  })
})
