import { afterEach, describe, expect, test } from '@jest/globals'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ServicesManager } from '../../src/index.js'
import { fixtureManager } from './harness.js'

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

    // The unsandboxed twin proves the same operations succeed without the rules.
    await expect(manager.call('free', 'read', join(secret, 'secret.txt'))).resolves.toBe('allowed')
    await expect(manager.call('free', 'spawn')).resolves.toBe('allowed')
    await expect(manager.call('free', 'connect', port)).resolves.toBe('allowed')

    const report = notices.join('\n')
    expect(report).toContain('fs.read limited to')
    expect(report).toContain('childProcess denied')
    expect(report).toMatch(/network denied — enforced|network: false NOT enforced/)
  })
})
