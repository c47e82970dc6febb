// Faults users can inject in their own tests: pause a service, cut its channel, delay its next start.
// (manager.kill(name, signal) crashes it; manager.waitFor and manager.timeline observe the outcome.)

import { signalGroup } from '../container/terminate.js'
import type { ServiceNode } from '../node/service-node.js'

export class FaultInjection {
  constructor(private readonly node: (name: string) => ServiceNode) {}

  /** SIGSTOP to the service's process group: it stops answering but does not exit. */
  pause(name: string): void {
    this.#signal(name, 'SIGSTOP')
  }

  resume(name: string): void {
    this.#signal(name, 'SIGCONT')
  }

  /** Closes the channel from the manager's side: the remote notices and exits, which is a crash. */
  cutChannel(name: string): void {
    this.node(name).container.controller?.disconnect()
  }

  /** Holds the next start of `name` (after its dependencies run) for `ms` before sending the code. */
  delayNextStart(name: string, ms: number): void {
    this.node(name).delayNextStartMs = ms
  }

  #signal(name: string, signal: NodeJS.Signals): void {
    const pid = this.node(name).container.pid
    if (pid !== null) signalGroup(pid, signal)
  }
}
