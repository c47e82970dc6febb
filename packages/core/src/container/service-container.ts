// A service's execution environment. Each start gets a fresh controller + remote; close destroys both.
// Two implementations: a child process (the product) and in-memory (unit tests of the graph logic).

import { EventEmitter } from 'eventemitter3'
import { randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ServiceController } from '../controller/service-controller.js'
import { directToken } from '../protocol/direct-token.js'
import type { DirectGrant, StartMessage } from '../protocol/messages.js'
import type { ResolvedService } from '../manifest/normalize.js'
import type { ListenAddress, ListenSocket } from './listen-socket.js'
import type { CallTarget } from '../manager/router.js'

/** Gives the socket a service with `listen` shares between its processes (manager/listen-sockets.ts): opened on
 * first use, the same one for every later process. */
export type ListenSource = (service: ResolvedService) => Promise<ListenSocket>

/** How the process ended and which step of the stop escalation ended it. */
export interface ExitReport {
  code: number | null
  signal: string | null
  /** True when the end was asked for (close/stop), false for a crash. */
  expected: boolean
  /** What ended it; 'moved': an instance another host ran, which that host handed over as it closed (not a crash). */
  step: 'exited' | 'closed' | 'sigterm' | 'sigkill' | 'moved'
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
  /** The current start has its process: a Node service got its code, a command was spawned (condition 'started'). */
  started: [pid: number]
}

export abstract class ServiceContainer extends EventEmitter<ContainerEvents> {
  #direct: { path: string; key: string } | null = null
  #listening: ListenAddress | null = null

  constructor(readonly service: ResolvedService) {
    super()
  }

  /** Where the service's shared socket listens (its `listen` field, with the real port), once opened; else null. */
  get listening(): ListenAddress | null {
    return this.#listening
  }

  /** The fd to hand the next process (undefined: none). Opening it may fail (port in use): that start fails, and the
   * reason is in the service's log. */
  protected async listenFd(source: ListenSource | undefined): Promise<number | undefined> {
    if (!this.service.listen || !source) return undefined
    try {
      const socket = await source(this.service)
      this.#listening = { host: socket.host, port: socket.port }
      return socket.fd
    } catch (error) {
      this.emit('output', 'stderr', (error as Error).message)
      throw error
    }
  }

  /** What the service's permissions turn into here: one line per rule, enforced or not. */
  abstract readonly permissionReport: string[]

  abstract readonly controller: ServiceController | null
  abstract readonly pid: number | null
  /** The host this instance runs on when it is not this one (a graph across hosts: cluster/placed-container.ts). */
  get host(): string | null {
    return null
  }

  /** What its start waits for beyond its own process, when something does (a place in the cluster). */
  get waitingFor(): string | null {
    return null
  }

  /** How to call it while it runs on another host; null while it runs here (calls go to `controller`). */
  get peer(): CallTarget | null {
    return null
  }

  /** The warm spare's pid (restart.warmSpare), once it has booted. */
  get sparePid(): number | null {
    return null
  }

  /**
   * Boots a remote for the next start and waits for remoteReady: lets the manager pre-spawn the whole graph. When
   * the current process has already had its code, a container may boot the next one beside it (ProcessContainer
   * does, so a crash cascade's replacements boot while the old processes close).
   */
  abstract prepare(): Promise<void>

  /** The code and settings a fresh remote receives once its dependencies run. */
  protected startMessage(): Omit<StartMessage, 'type'> {
    const { name, entry, config, calls, retry, nats } = this.service
    // direct: a fresh socket path and key per start, so a grant made for an earlier run opens nothing.
    this.#direct = this.service.direct ? { path: join(tmpdir(), `svc-${randomBytes(8).toString('hex')}.sock`), key: randomBytes(32).toString('base64url') } : null
    return {
      name,
      entry,
      config,
      calls,
      ...(this.#direct && { direct: this.#direct }),
      ...(retry && Object.keys(retry).length > 0 && { retry }),
      ...(nats && { nats }),
    }
  }

  /** A caller's way in to this service's direct socket, if it is listening (it said so when it reported running). */
  directGrant(caller: string): DirectGrant | null {
    const direct = this.#direct
    if (!direct || this.controller?.directPath !== direct.path) return null
    return { path: direct.path, token: directToken(direct.key, caller) }
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

export type ContainerFactory = ((service: ResolvedService) => ServiceContainer) & {
  /** False only for containers that never spawn a process (the in-memory ones): the manager then keeps no run record
   * and starts no watchdog. Unset, a factory is taken to spawn processes, and both stay on. */
  readonly spawnsProcesses?: boolean
}
