// Connects a fresh controller to the manager: calls go to the router, events to the fan-out, subscriptions to the
// bus, exceptions and malformed messages to the manager's events.

import type { ServiceController } from '../controller/service-controller.js'
import type { EventBus } from './event-bus.js'
import type { EventFanout } from './event-fanout.js'
import type { Router } from './router.js'

export interface WireHost {
  router: Router
  bus: EventBus
  fanout: EventFanout
  /** Whether `from` may use `to` for `action`; a refusal is audited by the host. */
  mayUse(from: string, to: string, action: string): boolean
  exception(service: string, kind: string, error: import('../errors.js').SerializedError): void
  /** The service's start failed with this error (its module threw, or its factory did). */
  startFailed(service: string, error: import('../errors.js').SerializedError): void
  malformed(service: string, value: unknown): void
  protocolError(service: string, error: import('../errors.js').SerializedError): void
}

export function wireController(name: string, controller: ServiceController, host: WireHost): void {
  controller.on('request', (m) => host.router.fromService(name, controller, m))
  controller.on('response', (m) => host.router.fromResponse(name, controller, m))
  controller.on('cancel', (m) => host.router.cancel(name, m.id))
  controller.on('emit', (m) => host.fanout.emit(name, m))
  controller.on('subscribe', (m) => {
    if (m.type === 'unsubscribe') host.bus.unsubscribe(name, m.service, m.event)
    else if (host.mayUse(name, m.service, `subscribe to "${m.event}"`)) host.bus.subscribe(name, m.service, m.event)
  })
  controller.on('exception', (m) => host.exception(name, m.kind, m.error))
  controller.on('state', (state, error) => {
    if (state === 'closed' && error) host.startFailed(name, error)
  })
  controller.on('malformed', (value) => host.malformed(name, value))
  controller.on('protocolError', (error) => host.protocolError(name, error))
}
