// How a service process is launched: its kernel container, the runner, its Node flags (permissions) and its
// environment.

import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { ResolvedService } from '../manifest/normalize.js'
import { LOADER_ENV, loaderFor } from '../remote/module-loader.js'
import { hostContainment, type Containment } from './containment.js'
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
  containment: Containment
}

export interface SpawnContext {
  /** The manager's private directory (control socket, run records): hidden from the service where the host can. */
  privateDir: string
  baseEnv?: NodeJS.ProcessEnv
  containment?: Containment
}

export function planSpawn(service: ResolvedService, context: SpawnContext): SpawnPlan {
  const { privateDir, baseEnv = process.env, containment = hostContainment() } = context
  const permissions = planPermissions(service, RUNNER_PATH)
  const sandboxed = permissions.nodeFlags.length > 0
  const env = serviceEnv(service, baseEnv)
  env[LOADER_ENV] = loaderFor(service.entry)
  if (sandboxed) {
    // NODE_OPTIONS is read by Node before the permission model starts: '--allow-child-process' in it would lift the
    // sandbox. A sandboxed service gets none, whether the manifest or the manager's environment set it.
    if (env.NODE_OPTIONS !== undefined) permissions.report.push(`NODE_OPTIONS not passed on (it could lift the sandbox): ${env.NODE_OPTIONS}`)
    delete env.NODE_OPTIONS
    env.SVC_JITI_FS_CACHE = '0' // the sandbox may not write jiti's cache
  }
  const network = !permissions.isolateNetwork
  const wrapper = containment.kind !== 'process-group' ? containment.wrap({ network, hide: privateDir, stopSignal: service.stopSignal }) : network ? [] : ['unshare', '-n']
  const command = [...wrapper, process.execPath, ...service.nodeArgs, ...permissions.nodeFlags, RUNNER_PATH]
  return { file: command[0]!, args: command.slice(1), env, permissions, containment }
}

/** What every service process inherits: the manager's environment, less its own IPC channel, plus the service's. */
export function serviceEnv(service: ResolvedService, baseEnv: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(baseEnv)) {
    // Never hand the manager's own IPC channel or jest/test-runner state down to a service.
    if (v !== undefined && !k.startsWith('NODE_CHANNEL') && k !== 'NODE_UNIQUE_ID') env[k] = v
  }
  return Object.assign(env, service.env, { SVC_SERVICE: service.name })
}
