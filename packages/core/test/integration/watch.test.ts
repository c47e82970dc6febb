// Watch mode with real processes: an edit reloads exactly the service that watches it (or, when its replacement cannot
// start beside it, restarts it and its dependents in order); ignored paths and other services are left alone.

import { afterEach, beforeEach, describe, expect, test } from '@jest/globals'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Manifest, ServicesManager, StateChange } from '../../src/index.js'
import { fixtureManager, freePort, runningAgain } from './harness.js'

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

/** Resolves once an instance of `name` was replaced by a reload (the old one closed). */
function reloaded(m: ServicesManager, name: string): Promise<void> {
  return new Promise((resolve) => m.on('instance', (c) => c.service === name && c.to === 'closed' && resolve()))
}

function nextChange(m: ServicesManager): Promise<{ services: string[]; files: string[] }> {
  return new Promise((resolve) => m.once('filesChanged', resolve))
}

describe('watch', () => {
  test('an edit reloads the running service that watches it, without downtime; its dependents and others keep running', async () => {
    manager = graph()
    await manager.start()
    const before = pids(manager)
    const changes: StateChange[] = []
    manager.on('state', (c) => changes.push(c))
    const changed = nextChange(manager)
    const replaced = new Promise<void>((resolve) => manager!.on('instance', (c) => c.instance === 'api#0' && c.to === 'closed' && resolve()))
    writeFileSync(join(dir, 'api', 'handler.js'), 'export default 1\n')
    expect(await changed).toEqual({ services: ['api'], files: [join(dir, 'api', 'handler.js')], at: expect.any(Number) })
    await replaced
    await manager.settled()
    expect(changes).toEqual([]) // no service changed state: api was replaced while it ran
    const after = pids(manager)
    expect(after.api).not.toBe(before.api)
    for (const same of ['db', 'web', 'other']) expect(after[same]).toBe(before[same])
  })

  test('a service whose replacement cannot start beside it (it binds its own port) is restarted, dependents first', async () => {
    const port = await freePort()
    manager = fixtureManager(
      {
        api: { entry: './port-holder.ts', config: { port }, watch: { paths: [join(dir, 'api')] } },
        web: { entry: './plain.mjs', dependsOn: ['api'] },
      },
      { watchDebounceMs: 50 },
      join(dir, 'state'),
    )
    await manager.start()
    const before = pids(manager)
    const changes: StateChange[] = []
    manager.on('state', (c) => changes.push(c))
    const fellBack = new Promise<string>((resolve) => manager!.on('notice', (n) => n.message.includes('reload after a change failed') && resolve(n.message)))
    const back = runningAgain(manager, 'web')
    writeFileSync(join(dir, 'api', 'handler.js'), 'export default 1\n')
    expect(await fellBack).toContain('restarting it with its dependents')
    await back
    await manager.settled()
    expect(changes.filter((c) => c.to === 'closed' || c.to === 'running').map((c) => `${c.service}:${c.to}`)).toEqual([
      'web:closed',
      'api:closed',
      'api:running',
      'web:running',
    ])
    expect(pids(manager).api).not.toBe(before.api)
    await expect(manager.call('api', 'port')).resolves.toBe(port)
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
    const back = reloaded(manager, 'other')
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
    const back = reloaded(manager, 'db')
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
    const back = reloaded(manager, 'extra')
    writeFileSync(join(dir, 'other', 'main.js'), '1')
    writeFileSync(join(dir, 'extra', 'main.js'), '1')
    expect((await changed).services).toEqual(['extra'])
    await back
    await manager.settled()
  })
})
