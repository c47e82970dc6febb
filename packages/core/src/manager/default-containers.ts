// The containers the manager makes when it is given none: a command service's (any executable) or a Node service's
// (the runner), both in the host's kernel container.

import { CommandContainer } from '../container/command-container.js'
import { oneForkPerTurn, type Launch } from '../container/launch.js'
import { ProcessContainer, type SpawnGate } from '../container/process-container.js'
import type { ContainerFactory, ListenSource } from '../container/service-container.js'
import type { ListenSockets } from './listen-sockets.js'

export interface DefaultContainerOptions {
  /** Hidden from every service (control socket, run records). */
  privateDir: string
  /** Bounds how many Node services boot at once. */
  gate: SpawnGate
  launch: Launch
  partialFrameTimeoutMs?: number
  /** Holds the sockets of services with `listen`, across their processes. */
  listenSockets?: ListenSockets
}

export function defaultContainers(options: DefaultContainerOptions): ContainerFactory {
  const { privateDir, gate, launch, partialFrameTimeoutMs, listenSockets } = options
  const listen: ListenSource | undefined = listenSockets && ((service) => listenSockets.fdFor(service))
  // Commands are forked here, in the manager (execa): one per turn of its event loop, as Node services without a spawner.
  const inTurn = oneForkPerTurn()
  return (service) => {
    // Made for each service added or redefined (apply): one redefined without `listen` gives its port back.
    if (!service.listen) listenSockets?.close(service.name)
    return service.kind === 'command'
      ? new CommandContainer(service, { privateDir, inTurn, listen })
      : new ProcessContainer(service, { privateDir, gate, launch, partialFrameTimeoutMs, listen })
  }
}
