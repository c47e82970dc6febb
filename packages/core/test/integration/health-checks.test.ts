// Liveness: the manager's own tcp and exec health checks, run by HealthMonitor against a real port and real programs.

import { afterEach, describe, expect, test } from '@jest/globals'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { HealthMonitor } from '../../src/manager/health-monitor.js'
import { normalizeService } from '../../src/manifest/normalize.js'
import type { HealthCheck } from '../../src/manifest/types.js'

let monitor: HealthMonitor | undefined

afterEach(() => monitor?.stop())

function watched(health: HealthCheck, extra: { cwd?: string; env?: Record<string, string> } = {}) {
  const service = normalizeService('db', { entry: 'x', health, env: extra.env ?? {} }, extra.cwd ?? '/', null, (_n, e) => e)
  const calls: string[] = []
  let calledTwice!: () => void
  const twice = new Promise<string[]>((resolve) => (calledTwice = () => resolve(calls)))
  const unhealthy = new Promise<string>((resolve) => {
    monitor = new HealthMonitor({
      call: async (_service, method) => void (calls.push(method) === 2 && calledTwice()),
      unhealthy: (_service, why) => resolve(why),
    })
    monitor.watch(service)
  })
  return { unhealthy, twice }
}

describe('health tcp and exec checks', () => {
  test('a tcp check on a port that closes reports unhealthy after failureThreshold failures', async () => {
    const server = createServer((socket) => socket.destroy())
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const { port } = server.address() as AddressInfo
    // The port is closed once a check has connected to it: the checks before that one passed.
    server.once('connection', () => server.close())
    const { unhealthy } = watched({ tcp: port, intervalMs: 10, timeoutMs: 500, failureThreshold: 3 })
    expect(await unhealthy).toBe(`3 failed health checks (last: tcp 127.0.0.1:${port} failed: connect ECONNREFUSED 127.0.0.1:${port})`)
  })

  test('an exec check runs in the service cwd and env, and fails once its program exits non-zero', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'svc-health-'))
    try {
      writeFileSync(join(dir, 'alive'), '')
      // Each passing check removes the file, so the next check fails: one pass, then failures.
      const { unhealthy } = watched(
        { exec: ['sh', '-c', 'rm "$FLAG"'], intervalMs: 10, timeoutMs: 2_000, failureThreshold: 2 },
        { cwd: dir, env: { FLAG: 'alive' } },
      )
      expect(await unhealthy).toMatch(/^2 failed health checks \(last: exec sh -c "rm \\"\$FLAG\\"" failed: exit code 1; its last line: rm: .*alive/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  test('method checks still call the service', async () => {
    const { twice } = watched({ method: 'check', intervalMs: 10, timeoutMs: 100, failureThreshold: 1 })
    expect(await twice).toEqual(['check', 'check'])
  })
})
