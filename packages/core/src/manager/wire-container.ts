// What the manager does with a container's events: every process it spawns is in the run record until it is gone;
// each fresh controller is wired to routing; output goes to the service's log; an exit fails what waited on it.

import type { EventEmitter } from 'eventemitter3'
import type { ServiceContainer } from '../container/service-container.js'
import type { ServiceController } from '../controller/service-controller.js'
import type { ServiceNode } from '../node/service-node.js'
import type { EventBus } from './event-bus.js'
import type { EventFanout } from './event-fanout.js'
import type { ManagerEvents } from './events.js'
import type { Router } from './router.js'
import type { ServiceOutput } from './service-output.js'
import { wireController } from './wire-controller.js'

export interface ContainerHost {
  run: { add(pid: number): void; remove(pid: number): void } | null
  router: Router
  bus: EventBus
  fanout: EventFanout
  mayUse(from: string, to: string, action: string): boolean
  events: EventEmitter<ManagerEvents>
}

/** Wires one instance's container; `node` is its service. */
export function wireContainer(node: ServiceNode, container: ServiceContainer, output: ServiceOutput, host: ContainerHost): void {
  const name = node.name
  const instanceOf = () => node.instances.find((i) => i.container === container)
  // Its current controller and its warm spare's: calls in flight on the one whose process ends fail with it.
  const controllers = new Set<ServiceController>()
  container.on('spawn', (pid) => host.run?.add(pid))
  container.on('gone', (pid) => host.run?.remove(pid))
  container.on('controller', (controller) => {
    controllers.add(controller)
    wireController(name, controller, {
      router: host.router,
      bus: host.bus,
      fanout: host.fanout,
      mayUse: (from, to, action) => host.mayUse(from, to, action),
      exception: (service, kind, error) => {
        output.exception(kind, error)
        host.events.emit('exception', { service, kind, error, at: Date.now() })
      },
      startFailed: (_service, error) => output.exception('start failed', error),
      malformed: (service, value) => host.events.emit('malformed', { service, value, at: Date.now() }),
      protocolError: (service, error) => {
        // Kept for the exit report: the exit that follows is the manager's doing, not a crash of the service's own.
        output.exception('protocol error', error)
        const instance = instanceOf()
        if (instance?.state === 'running') instance.pendingExitReason = 'lost-channel'
        host.events.emit('notice', { service, message: error.message, at: Date.now() })
      },
    })
  })
  container.on('output', (stream, line) => output.line(stream, line))
  container.on('exit', (report) => {
    output.reportDrops() // its output has ended: drops of a last burst are reported now
    const peer = container.peer // an instance on another host that this host no longer sees running
    if (peer) host.router.failPendingOn(peer, 'is gone from its host')
    for (const controller of controllers) {
      host.router.failPendingOn(controller, report.expected ? 'closed' : 'exited')
      if (!controller.connected) controllers.delete(controller)
    }
    // Subscriptions are the service's: they go with its last instance.
    if (node.instances.some((i) => i.container !== container && i.live)) return
    host.fanout.forget(name) // and so have the events it missed
    host.bus.dropSubscriber(name)
  })
}
