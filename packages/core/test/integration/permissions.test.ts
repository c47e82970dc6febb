import { afterEach, describe, expect, test } from '@jest/globals'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ServicesManager } from '../../src/index.js'
import { fixtureManager, until } from './harness.js'

let manager: ServicesManager | undefined
let server: Server | undefined
const dirs: string[] = []
afterEach(async () => {
  await manager?.close()
  manager = undefined
  await new Promise((r) => (server ? server.close(r) : r(undefined)))
  server = undefined
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

describe('permissions, enforced for real', () => {
  test('denied read, write, spawn and network connection fail inside the service; allowed ones work', async () => {
    const allowed = mkdtempSync(join(tmpdir(), 'svc-allowed-'))
    const secret = mkdtempSync(join(tmpdir(), 'svc-secret-'))
    dirs.push(allowed, secret)
    writeFileSync(join(allowed, 'ok.txt'), 'fine')
    writeFileSync(join(secret, 'secret.txt'), 'hidden')
    server = createServer((s) => s.end()).listen(0, '127.0.0.1')
    await new Promise((r) => server!.once('listening', r))
    const port = (server.address() as { port: number }).port

    manager = fixtureManager({
      jailed: {
        entry: './sandboxed.ts',
        permissions: { fs: { read: [allowed], write: [join(allowed, 'out.txt')] }, childProcess: false, network: false },
      },
      free: { entry: './sandboxed.ts' },
    })
    const notices: string[] = []
    manager.on('notice', (n) => n.service === 'jailed' && notices.push(n.message))
    await manager.start()

    await expect(manager.call('jailed', 'read', join(allowed, 'ok.txt'))).resolves.toBe('allowed')
    await expect(manager.call('jailed', 'read', join(secret, 'secret.txt'))).resolves.toBe('ERR_ACCESS_DENIED')
    await expect(manager.call('jailed', 'write', join(allowed, 'out.txt'))).resolves.toBe('allowed')
    await expect(manager.call('jailed', 'write', join(secret, 'new.txt'))).resolves.toBe('ERR_ACCESS_DENIED')
    await expect(manager.call('jailed', 'spawn')).resolves.toBe('ERR_ACCESS_DENIED')
    await expect(manager.call('jailed', 'connect', port)).resolves.not.toBe('allowed')
    await expect(manager.call('jailed', 'wasi')).resolves.toBe('ERR_ACCESS_DENIED')

    // The unsandboxed twin proves the same operations succeed without the rules.
    await expect(manager.call('free', 'read', join(secret, 'secret.txt'))).resolves.toBe('allowed')
    await expect(manager.call('free', 'spawn')).resolves.toBe('allowed')
    await expect(manager.call('free', 'connect', port)).resolves.toBe('allowed')
    await expect(manager.call('free', 'wasi')).resolves.toBe('allowed')

    const report = notices.join('\n')
    expect(report).toContain('fs.read limited to')
    expect(report).toContain('which follows symbolic links: a link inside an allowed folder leads out of it') // never claim more
    expect(report).toContain('childProcess denied')
    expect(report).toMatch(/native addons, WASI.*: denied/)
    expect(report).toMatch(/network denied — enforced|network: false NOT enforced/)
  })
})

describe('permissions cannot be got around', () => {
  test("NODE_OPTIONS, from the manifest or the manager's environment, does not lift a sandbox", async () => {
    const before = process.env.NODE_OPTIONS
    process.env.NODE_OPTIONS = '--allow-child-process --allow-worker'
    try {
      manager = fixtureManager({
        'via-manifest': { entry: './sandboxed.ts', env: { NODE_OPTIONS: '--allow-child-process --allow-worker' }, permissions: { childProcess: false } },
        'via-manager': { entry: './sandboxed.ts', permissions: { childProcess: false } },
      })
      const notices: string[] = []
      manager.on('notice', (n) => notices.push(`${n.service}: ${n.message}`))
      await manager.start()
      await expect(manager.call('via-manifest', 'spawn')).resolves.toBe('ERR_ACCESS_DENIED')
      await expect(manager.call('via-manager', 'spawn')).resolves.toBe('ERR_ACCESS_DENIED')
      expect(notices.join('\n')).toContain('via-manifest: permissions: NODE_OPTIONS not passed on')
    } finally {
      if (before === undefined) delete process.env.NODE_OPTIONS
      else process.env.NODE_OPTIONS = before
    }
  })

  test("a child service gets its parent's restrictions, never fewer", async () => {
    manager = fixtureManager({ p: { entry: './parent.ts', permissions: { childServices: true, childProcess: false } } })
    await manager.start()
    await manager.call('p', 'spawnKid', 'kid', './sandboxed.ts')
    await expect(manager.call('kid', 'spawn')).resolves.toBe('ERR_ACCESS_DENIED')
  })

  test('ctx.services() shows a service itself and what it may call, with no pids or socket paths', async () => {
    manager = fixtureManager({
      dep: { entry: './echo.ts', direct: true },
      other: { entry: './echo.ts' },
      nosy: { entry: './nosy.ts', dependsOn: ['dep'] },
    })
    await manager.start()
    const seen = (await manager.call('nosy', 'services')) as { name: string; pid: number | null; directSocket: string | null }[]
    expect(seen.map((s) => s.name).sort()).toEqual(['dep', 'nosy'])
    expect(seen.every((s) => s.pid === null && s.directSocket === null)).toBe(true)
  })

  test('every refused call, subscription and direct channel is audited: an event and a line in the caller’s log', async () => {
    manager = fixtureManager({ other: { entry: './echo.ts' }, nosy: { entry: './nosy.ts' } })
    const denied: { caller: string; target: string; action: string }[] = []
    manager.on('denied', (d) => denied.push(d))
    await manager.start()
    await expect(manager.call('nosy', 'callOther', 'other')).resolves.toBe('SVC_ERR_ACCESS_DENIED')
    await manager.call('nosy', 'subscribe', 'other')
    await until(() => denied.length >= 2, 5000, 'both refusals to be audited')
    await expect(manager.call('nosy', 'askDirect', 'other')).resolves.toBe('SVC_ERR_ACCESS_DENIED')
    expect(denied).toEqual([
      expect.objectContaining({ caller: 'nosy', target: 'other', action: 'call echo' }),
      expect.objectContaining({ caller: 'nosy', target: 'other', action: 'subscribe to "tick"' }),
      expect.objectContaining({ caller: 'nosy', target: 'other', action: 'open a direct channel' }),
    ])
    const log = manager.logs('nosy').map((l) => l.line)
    expect(log).toContain('[svc] denied: "nosy" may not call echo on "other" (not in its dependsOn or permissions.calls)')
  })
})
