// What a manager says and does once, at its first start: what containment and permissions hold here, and taking over
// the run record (killing what a dead run of the same state directory left behind).

import { hostContainment } from '../container/containment.js'
import { svcError } from '../errors.js'
import type { ServiceNode } from '../node/service-node.js'
import type { RunRecord } from '../supervision/run-record.js'

type Notice = (service: string, message: string) => void

/** Says what is enforced and what is not, for every service that asked for restrictions. */
export function reportPermissions(nodes: Iterable<ServiceNode>, customContainers: boolean, notice: Notice): void {
  if (!customContainers) notice('(manager)', `containment: ${hostContainment().describe()}`)
  for (const node of nodes) {
    if (Object.keys(node.service.permissions).length === 0) continue
    for (const line of node.instances[0]?.container.permissionReport ?? []) notice(node.name, `permissions: ${line}`)
  }
}

/** Opens the run record, or fails with a coded error that names the state directory. */
export function openRun(run: RunRecord, stateDir: string, notice: Notice): void {
  try {
    const { killed } = run.open()
    if (killed.length > 0) notice('(manager)', `killed leftovers of a dead run: process groups ${killed.join(', ')}`)
  } catch (cause) {
    throw svcError('SVC_ERR_STATE_DIR', `Cannot use the state directory ${stateDir} (${(cause as Error).message}). Make it writable or set stateDir in the manifest.`, { cause })
  }
}
