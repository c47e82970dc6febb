import { afterEach, expect, test } from '@jest/globals'
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { defineService } from '../../src/remote/index.js'
import { ServicesManager } from '../../src/index.js'
import { memoryContainers } from '../../src/testing/index.js'

// Memory containers spawn nothing, and their factory says so: no run record, no watchdog, nothing on disk.
const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

test('memoryContainers() declares that it spawns no process', () => {
  expect(memoryContainers({}).spawnsProcesses).toBe(false)
})

test('a manager over memory containers runs its services without touching the state directory', async () => {
  const cwd = mkdtempSync(join(tmpdir(), 'svc-memory-'))
  dirs.push(cwd)
  const echo = defineService(() => ({ echo: (x: unknown) => x }))
  const manager = new ServicesManager(
    { services: { echo: { entry: 'mem:echo' } }, stateDir: join(cwd, 'state') },
    { cwd, containers: memoryContainers({ 'mem:echo': echo }), resolveEntry: (_n, entry) => entry },
  )
  await manager.start()
  await expect(manager.call('echo', 'echo', 42)).resolves.toBe(42)
  await manager.close()
  expect(existsSync(join(cwd, 'state'))).toBe(false)
  expect(readdirSync(cwd)).toEqual([])
})
