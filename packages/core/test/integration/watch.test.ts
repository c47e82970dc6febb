// Watch mode with real processes: an edit restarts exactly the service that watches it and its dependents (closed
// dependents first, started again in dependency order); ignored paths and other services are left alone.

import { afterEach, beforeEach, describe, expect, test } from '@jest/globals'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Manifest, ServicesManager, StateChange } from '../../src/index.js'
import { fixtureManager, runningAgain } from './harness.js'

let dir: string
let manager: ServicesManager | undefined

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'svc-watch-'))
  for (const sub of ['db', 'api', 'other', 'db/node_modules/pkg', 'db/tmp']) mkdirSync(join(dir, sub), { recursive: true })
})
afterEach(async () => {
  await manager?.close()
  manager = undefined
  rmSync(dir, { recursive: true, force: true })
})

const services = (): Manifest['services'] => ({
  db: { entry: './plain.mjs', watch: { paths: [join(dir, 'db')], ignore: ['*.log', 'tmp'] } },
  api: { entry: './plain.mjs', dependsOn: ['db'], watch: { paths: [join(dir, 'api')] } },
  web: { entry: './plain.mjs', dependsOn: ['api'] },
  other: { entry: './plain.mjs', watch: { paths: [join(dir, 'other')] } },
})

function graph(): ServicesManager {
  return fixtureManager(services(), { watchDebounceMs: 50 }, join(dir, 'state'))
}

const pids = (m: ServicesManager) => Object.fromEntries(m.services().map((s) => [s.name, s.pid]))

function nextChange(m: ServicesManager): Promise<{ services: string[]; files: string[] }> {
  return new Promise((resolve) => m.once('filesChanged', resolve))
}

describe('watch', () => {
  test('an edit restarts the service that watches it and its dependents, in order, and nothing else', async () => {
    manager = graph()
    await manager.start()
    const before = pids(manager)
    const changes: StateChange[] = []
    manager.on('state', (c) => changes.push(c))
    const changed = nextChange(manager)
    const back = runningAgain(manager, 'web')
    writeFileSync(join(dir, 'api', 'handler.js'), 'export default 1\n')
    expect(await changed).toEqual({ services: ['api'], files: [join(dir, 'api', 'handler.js')], at: expect.any(Number) })
    await back
    await manager.settled()
    expect(changes.filter((c) => c.to === 'closed' || c.to === 'running').map((c) => `${c.service}:${c.to}`)).toEqual([
      'web:closed',
      'api:closed',
      'api:running',
      'web:running',
    ])
    const after = pids(manager)
    expect(after.db).toBe(before.db)
    expect(after.other).toBe(before.other)
    expect(after.api).not.toBe(before.api)
    expect(after.web).not.toBe(before.web)
  })

  test('node_modules, the state directory and the ignore patterns restart nothing', async () => {
    manager = graph()
    await manager.start()
    const before = pids(manager)
    const changed = nextChange(manager)
    // Ignored writes first, then one that counts: the batch it lands in names only the one that counts.
    writeFileSync(join(dir, 'db', 'node_modules', 'pkg', 'index.js'), '1')
    writeFileSync(join(dir, 'db', 'server.log'), 'line\n')
    writeFileSync(join(dir, 'db', 'tmp', 'scratch.js'), '1')
    writeFileSync(join(dir, 'state', 'note'), '1')
    const back = runningAgain(manager, 'other')
    writeFileSync(join(dir, 'other', 'main.js'), '1')
    expect((await changed).services).toEqual(['other'])
    await back
    await manager.settled()
    const after = pids(manager)
    for (const name of ['db', 'api', 'web']) expect(after[name]).toBe(before[name])
    expect(after.other).not.toBe(before.other)
  })

  test('a service stopped by hand is not started by a change', async () => {
    manager = graph()
    await manager.start()
    await manager.close(['other'])
    const changed = nextChange(manager)
    writeFileSync(join(dir, 'other', 'main.js'), '1')
    const back = runningAgain(manager, 'db')
    writeFileSync(join(dir, 'db', 'main.js'), '1')
    // "other" changed too, and was left closed: neither it nor its file is in the batch.
    expect(await changed).toEqual({ services: ['db'], files: [join(dir, 'db', 'main.js')], at: expect.any(Number) })
    await back
    await manager.settled()
    expect(manager.state('other')).toBe('closed')
  })

  test('after apply, what is watched follows the new manifest', async () => {
    manager = graph()
    await manager.start()
    mkdirSync(join(dir, 'extra'))
    const { other: _other, ...rest } = services()
    await manager.apply({ services: { ...rest, other: { entry: './plain.mjs' }, extra: { entry: './plain.mjs', watch: { paths: [join(dir, 'extra')] } } }, stateDir: join(dir, 'state') })
    const changed = nextChange(manager)
    const back = runningAgain(manager, 'extra')
    writeFileSync(join(dir, 'other', 'main.js'), '1')
    writeFileSync(join(dir, 'extra', 'main.js'), '1')
    expect((await changed).services).toEqual(['extra'])
    await back
    await manager.settled()
  })
})
