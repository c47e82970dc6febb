// How a command service is launched: its argv inside the same kernel container as a Node service, its environment,
// and what of its permissions holds for a program that is not Node.

import type { ResolvedService } from '../manifest/normalize.js'
import { hostContainment, type Containment } from './containment.js'
import { networkNamespaceAvailable } from './permissions.js'
import { serviceEnv } from './spawn.js'

export interface CommandPlan {
  file: string
  args: string[]
  env: Record<string, string>
  containment: Containment
  /** One line per rule: what is enforced and how, or why it is not. */
  permissionReport: string[]
}

export function planCommand(service: ResolvedService, context: { privateDir: string; baseEnv?: NodeJS.ProcessEnv; containment?: Containment }): CommandPlan {
  const { privateDir, baseEnv = process.env, containment = hostContainment() } = context
  const p = service.permissions
  const report: string[] = []
  if (p.fs !== undefined || p.childProcess === false || p.worker === false) {
    report.push("fs, childProcess, worker rules NOT enforced — Node's permission model governs Node services only, not a command")
  }
  const isolateNetwork = p.network === false && networkNamespaceAvailable()
  if (p.network === false) {
    report.push(isolateNetwork ? 'network denied — enforced by a Linux network namespace' : 'network: false NOT enforced — no usable network namespace here (needs Linux and unshare rights)')
  }
  const network = !isolateNetwork
  const wrapper = containment.kind !== 'process-group' ? containment.wrap({ network, hide: privateDir, stopSignal: service.stopSignal }) : network ? [] : ['unshare', '-n']
  const argv = [...wrapper, ...service.command!]
  return { file: argv[0]!, args: argv.slice(1), env: serviceEnv(service, baseEnv), containment, permissionReport: report }
}
