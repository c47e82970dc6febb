import { afterEach, expect, test } from '@jest/globals'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ProcessContainer, privateDir, type ContainerFactory, type ServicesManager } from '../../src/index.js'
import { fixtureManager, until } from './harness.js'

// Custom containers are no reason to lose the run record and its watchdog: a factory that wraps ProcessContainer
// spawns real processes, and a manager that dies must not leave them behind.
let manager: ServicesManager | null = null
const dirs: string[] = []
afterEach(async () => {
  await manager?.close()
  manager = null
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

interface Record {
  runId: string
  watchdogPid: number | null
  groups: number[]
}

test('a custom factory wrapping ProcessContainer keeps the run record and the watchdog', async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'svc-custom-'))
  dirs.push(stateDir)
  const made: string[] = []
  const containers: ContainerFactory = (service) => {
    made.push(service.name)
    return new ProcessContainer(service, { privateDir: privateDir(stateDir) })
  }
  manager = fixtureManager({ echo: { entry: './echo.ts' } }, { containers }, stateDir)
  await manager.start()
  expect(made).toEqual(['echo'])
  const pid = manager.service('echo').pid! // the group leader as the host sees it (inside, a pid namespace may renumber it)
  const file = join(stateDir, 'private', 'runs', `${process.pid}.json`)
  const read = (): Record | null => {
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as Record
    } catch {
      return null // not written yet
    }
  }
  await until(() => read()?.groups.includes(pid) ?? false, 5_000, "the run record to name the service's process group")
  expect(read()!.watchdogPid).toEqual(expect.any(Number))
  await manager.close()
  expect(existsSync(file)).toBe(false) // a clean close leaves nothing to reap
})
