// Turns a service's permissions into what the platform can enforce, and says plainly what it cannot.
//   fs.read / fs.write / childProcess / worker → Node's permission model (`--permission`; `--experimental-permission`
//                                                before Node 22.13 — permission-model.ts reads which)
//   network: false                            → a Linux network namespace (`unshare -n`), when available

import { execFileSync } from 'node:child_process'
import { realpathSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import type { ResolvedService } from '../manifest/normalize.js'
import { permissionModel, type PermissionModel } from './permission-model.js'

export interface PermissionPlan {
  nodeFlags: string[]
  /** network: false, and this host can cut the network with a namespace. */
  isolateNetwork: boolean
  /** One line per rule: what is enforced and how, or why it is not. */
  report: string[]
}

// Node's permission model checks the path it is given, then follows symbolic links wherever they point.
const FOLLOWS_LINKS = ', which follows symbolic links: a link inside an allowed folder leads out of it'
const NOT_INHERITED = 'programs it starts are NOT sandboxed; Node 22+ passes its flags on to Node children, to nothing else'

export function planPermissions(service: ResolvedService, runnerPath: string, model: PermissionModel = permissionModel()): PermissionPlan {
  const p = service.permissions
  const report: string[] = []
  const nodeFlags: string[] = []
  const sandboxed = p.fs !== undefined || p.childProcess === false || p.worker === false
  if (sandboxed && model.enable !== null) {
    nodeFlags.push(model.enable)
    // The runner, jiti and every package must stay readable or the service cannot even load.
    const reads = new Set([...(p.fs?.read ?? []), ...codeRoots(service.entry, runnerPath)])
    if (!p.fs?.read) reads.add('*')
    for (const path of reads) nodeFlags.push(`--allow-fs-read=${path}`)
    // Under the permission model everything not granted is denied: keep unset rules unrestricted.
    for (const path of p.fs?.write ?? ['*']) nodeFlags.push(`--allow-fs-write=${path}`)
    if (p.childProcess) nodeFlags.push('--allow-child-process')
    if (p.worker !== false) nodeFlags.push('--allow-worker')
    // Where the model governs the network (Node ≥ 25) it refuses every socket, the manager's pipe on fd 3 too:
    // without this grant a sandboxed service cannot even start. network: false is the namespace's job.
    if (model.network) nodeFlags.push('--allow-net')
    report.push(
      p.fs?.read ? `fs.read limited to ${p.fs.read.join(', ')} (+ code) — enforced by Node's permission model${FOLLOWS_LINKS}` : 'fs.read unrestricted',
      p.fs?.write
        ? `fs.write ${p.fs.write.length ? `limited to ${p.fs.write.join(', ')} — enforced by Node's permission model${FOLLOWS_LINKS}` : "denied — enforced by Node's permission model"}`
        : 'fs.write unrestricted',
      `childProcess ${p.childProcess ? `allowed (${NOT_INHERITED})` : 'denied — enforced'}`,
      `worker ${p.worker === false ? 'denied — enforced' : 'allowed'}`,
    )
    // Never granted: nothing in a manifest asks for them, and NODE_OPTIONS cannot reach a sandboxed service.
    const others = model.otherGrants.map((grant) => grant.what).join(', ')
    if (others) report.push(`${others}: denied — enforced by Node's permission model`)
  } else if (sandboxed) {
    report.push(`fs, childProcess, worker rules NOT enforced — this Node (${process.version}) has no permission model`)
  } else {
    report.push('fs, childProcess, worker: unrestricted (no fs/childProcess/worker rule set)')
  }
  const isolateNetwork = p.network === false && networkNamespaceAvailable()
  if (p.network === false) {
    // Node's own network permission would also cut the manager's pipe (see above): say why it is not used.
    const notByNode = model.network ? "; Node's network permission is not used (it would also refuse the pipe to the manager)" : ''
    if (isolateNetwork) {
      report.push(`network denied — enforced by a Linux network namespace (IPC with the manager still works)${notByNode}`)
    } else {
      report.push(`network: false NOT enforced — no usable network namespace here (needs Linux and unshare rights)${notByNode}`)
    }
  }
  return { nodeFlags, isolateNetwork, report }
}

// The directories a service's code is loaded from: its own tree and the node_modules above it.
function codeRoots(entry: string, runnerPath: string): string[] {
  const roots = new Set<string>()
  for (const file of [entry, runnerPath]) {
    roots.add(dirname(file))
    try {
      roots.add(dirname(realpathSync(file)))
    } catch {}
  }
  const runnerPkg = resolve(dirname(runnerPath), '../..')
  roots.add(runnerPkg)
  for (let dir = dirname(entry); dir !== dirname(dir); dir = dirname(dir)) roots.add(resolve(dir, 'node_modules'))
  for (let dir = runnerPkg; dir !== dirname(dir); dir = dirname(dir)) roots.add(resolve(dir, 'node_modules'))
  return [...roots]
}

let namespaceProbe: boolean | undefined
export function networkNamespaceAvailable(): boolean {
  if (namespaceProbe === undefined) {
    try {
      execFileSync('unshare', ['-n', 'true'], { stdio: 'ignore', timeout: 2000 })
      namespaceProbe = process.platform === 'linux'
    } catch {
      namespaceProbe = false
    }
  }
  return namespaceProbe
}
