// How a service process is launched: the runner, its Node flags (permissions) and its environment.

import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { ResolvedService } from '../manifest/normalize.js'
import { LOADER_ENV, loaderFor } from '../remote/module-loader.js'
import { planPermissions, type PermissionPlan } from './permissions.js'

// Same relative path from src/container and dist/container: the runner always runs compiled, bundled into one file
// by the build (scripts/bundle-runner.mjs) — the unbundled runner works too, only slower to start.
const RUNNER_BUNDLE = fileURLToPath(new URL('../../dist/remote/runner.bundle.cjs', import.meta.url))
export const RUNNER_PATH = existsSync(RUNNER_BUNDLE) ? RUNNER_BUNDLE : fileURLToPath(new URL('../../dist/remote/runner.js', import.meta.url))

export interface SpawnPlan {
  file: string
  args: string[]
  env: Record<string, string>
  permissions: PermissionPlan
}

export function planSpawn(service: ResolvedService, baseEnv: NodeJS.ProcessEnv = process.env): SpawnPlan {
  const permissions = planPermissions(service, RUNNER_PATH)
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(baseEnv)) {
    // Never hand the manager's own IPC channel or jest/test-runner state down to a service.
    if (v !== undefined && !k.startsWith('NODE_CHANNEL') && k !== 'NODE_UNIQUE_ID') env[k] = v
  }
  Object.assign(env, service.env, { SVC_SERVICE: service.name, [LOADER_ENV]: loaderFor(service.entry) })
  if (permissions.nodeFlags.length > 0) env.SVC_JITI_FS_CACHE = '0' // the sandbox may not write jiti's cache
  const nodeArgs = [...permissions.nodeFlags, RUNNER_PATH]
  return permissions.wrapper
    ? { file: permissions.wrapper[0]!, args: [...permissions.wrapper.slice(1), process.execPath, ...nodeArgs], env, permissions }
    : { file: process.execPath, args: nodeArgs, env, permissions }
}
