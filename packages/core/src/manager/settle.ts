// Waiting for the consequences of a fault, for users' tests: a crash sets off closes, restarts and starts that take
// a while; "the graph has settled" is the moment none is under way any more.

import type { EventEmitter } from 'eventemitter3'
import type { ExitReport, ServiceContainer } from '../container/service-container.js'
import { svcError } from '../errors.js'
import type { ServiceNode } from '../node/service-node.js'
import type { ManagerEvents } from './events.js'

// Signals whose default action does not end a process: a kill() with one of them has nothing to wait for.
const KEEPS_RUNNING = new Set<NodeJS.Signals>(['SIGSTOP', 'SIGCONT', 'SIGTSTP', 'SIGTTIN', 'SIGTTOU', 'SIGWINCH', 'SIGURG', 'SIGCHLD'])

export interface SettleHost {
  events: EventEmitter<ManagerEvents>
  nodes(): Iterable<ServiceNode>
  /** Resolves once no crash is being handled. */
  recoveriesDone(): Promise<void>
}

/** Resolves once no recovery is under way, every service is `running`, `completed` or `closed`, and no instance of a
 * running service is being restarted, replaced or drained. */
export async function settled(host: SettleHost, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    await within(host.recoveriesDone(), deadline, () => 'a crash recovery to finish')
    const moving = [...host.nodes()].filter((n) => (n.state !== 'running' && n.state !== 'completed' && n.state !== 'closed') || n.instancesMoving)
    if (moving.length === 0) return
    const changed = new Promise<void>((resolve) => {
      const moved = () => {
        host.events.off('state', moved)
        host.events.off('instance', moved)
        resolve()
      }
      host.events.on('state', moved)
      host.events.on('instance', moved)
    })
    await within(changed, deadline, () => `${moving.map((n) => `"${n.name}" (${n.state})`).join(', ')} to settle`)
  }
}

/** The process's exit, if a signal can end it and a process runs; null when there is nothing to wait for. */
export function exitOf(container: ServiceContainer, signal: NodeJS.Signals): Promise<ExitReport> | null {
  if (container.pid === null || KEEPS_RUNNING.has(signal)) return null
  return new Promise((resolve) => container.once('exit', resolve))
}

export function within<T>(promise: Promise<T>, deadline: number, what: () => string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(svcError('SVC_ERR_WAIT_TIMEOUT', `Waited in vain for ${what()}. Is a service stuck starting or closing? manager.timeline() shows where each one is.`))
    }, Math.max(0, deadline - Date.now()))
    void promise.then((value) => {
      clearTimeout(timer)
      resolve(value)
    }, reject)
  })
}
