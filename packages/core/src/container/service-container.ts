// A service's execution environment. Each start gets a fresh controller + remote; close destroys both.
// Two implementations: a child process (the product) and in-memory (unit tests of the graph logic).

import { EventEmitter } from 'eventemitter3'
import type { ServiceController } from '../controller/service-controller.js'
import type { ResolvedService } from '../manifest/normalize.js'

/** How the process ended and which step of the stop escalation ended it. */
export interface ExitReport {
  code: number | null
  signal: string | null
  /** True when the end was asked for (close/stop), false for a crash. */
  expected: boolean
  step: 'exited' | 'closed' | 'sigterm' | 'sigkill'
}

export interface ContainerEvents {
  exit: [report: ExitReport]
  output: [stream: 'stdout' | 'stderr', line: string]
  /** A process (group leader) was spawned for this container: the current one or a warm spare. */
  spawn: [pid: number]
  /** A process spawned for this container has exited (current or spare). */
  gone: [pid: number]
  /** A fresh controller exists: the manager wires routing to it. */
  controller: [controller: ServiceController]
}

export abstract class ServiceContainer extends EventEmitter<ContainerEvents> {
  constructor(readonly service: ResolvedService) {
    super()
  }

  /** What the service's permissions turn into here: one line per rule, enforced or not. */
  abstract readonly permissionReport: string[]

  abstract readonly controller: ServiceController | null
  abstract readonly pid: number | null
  /** The warm spare's pid (restart.warmSpare), if one is booted or booting. */
  get sparePid(): number | null {
    return null
  }

  /** Boots a remote (if none) and waits for remoteReady: lets the manager pre-spawn the whole graph. */
  abstract prepare(): Promise<void>

  /** The code and settings a fresh remote receives once its dependencies run. */
  protected startMessage() {
    const { name, entry, config, calls } = this.service
    return { name, entry, config, calls }
  }

  /** Sends the code and resolves once the service runs. On failure the remote is gone when this rejects. */
  abstract start(): Promise<void>

  /** Asks the remote to close, escalating to signals; resolves with how it ended. Idempotent. */
  abstract stop(reason: string): Promise<ExitReport>

  /** Fault injection and last resort: signals the remote without the close protocol. */
  abstract kill(signal: NodeJS.Signals): void

  /** The service will not start again soon: release what is kept for its next start (a warm spare). */
  async dispose(): Promise<void> {}
}

export type ContainerFactory = (service: ResolvedService) => ServiceContainer
