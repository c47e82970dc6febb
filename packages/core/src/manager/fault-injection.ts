// Faults users can inject in their own tests: pause a service, cut its channel, delay its next start.
// (manager.kill(name, signal) crashes it; manager.waitFor and manager.timeline observe the outcome.)

import { signalGroup } from '../container/terminate.js'
import type { Instance } from '../node/instance.js'
import type { ServiceNode } from '../node/service-node.js'

export interface FaultTargets {
  node(name: string): ServiceNode
  /** `api` is every instance of api, `api#1` that one. */
  instances(target: string): Instance[]
}

/** Each fault takes a service's name (every instance of it) or one instance's id (`api#1`). */
export class FaultInjection {
  constructor(private readonly targets: FaultTargets) {}

  /** SIGSTOP to the service's process group: it stops answering but does not exit. */
  pause(name: string): void {
    this.#signal(name, 'SIGSTOP')
  }

  resume(name: string): void {
    this.#signal(name, 'SIGCONT')
  }

  /** Closes the channel from the manager's side: the remote notices and exits, which is a crash. */
  cutChannel(name: string): void {
    for (const instance of this.targets.instances(name)) instance.controller?.disconnect()
  }

  /** Holds the next start of `name` (after its dependencies run) for `ms` before sending the code. */
  delayNextStart(name: string, ms: number): void {
    this.targets.node(name).delayNextStartMs = ms
  }

  #signal(name: string, signal: NodeJS.Signals): void {
    for (const { pid } of this.targets.instances(name)) if (pid !== null) signalGroup(pid, signal)
  }
}
