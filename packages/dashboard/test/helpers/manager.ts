// Real managers for the dashboard tests: services from test/fixtures (child processes), a throw-away state
// directory each, closed and removed after the test.

import { ServicesManager, type ManagerOptions, type Manifest, type NodeServiceSpec, type ServiceSpec } from '@services-cluster/core'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url))

const made: { manager: ServicesManager; dir: string }[] = []

export function fixtureManager(services: Manifest['services'], options: ManagerOptions = {}): ServicesManager {
  const dir = mkdtempSync(join(tmpdir(), 'svc-dashboard-'))
  const manager = new ServicesManager({ services, stateDir: dir }, { cwd: FIXTURES, ...options })
  made.push({ manager, dir })
  return manager
}

/** For afterAll/afterEach: closes every manager made here (all their processes) and removes its directory. */
export async function closeManagers(): Promise<void> {
  for (const { manager, dir } of made.splice(0)) {
    await manager.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

/** A service spec running test/fixtures/service.ts. */
export function service(dependsOn: string[] = [], extra: Partial<NodeServiceSpec> = {}): ServiceSpec {
  return { entry: './service.ts', dependsOn, ...extra }
}
