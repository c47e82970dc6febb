// Resolves when a service reaches a state, from the manager's state events (no polling).

import type { EventEmitter } from 'eventemitter3'
import { svcError } from '../errors.js'
import type { ServiceState } from '../protocol/snapshot.js'
import type { ManagerEvents, StateChange } from './events.js'

export function waitForState(
  events: EventEmitter<ManagerEvents>,
  service: string,
  current: () => ServiceState,
  state: ServiceState,
  timeoutMs: number,
): Promise<void> {
  if (current() === state) return Promise.resolve()
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      events.off('state', onState)
      reject(svcError('SVC_ERR_WAIT_TIMEOUT', `Service "${service}" did not reach ${state} within ${timeoutMs} ms (it is ${current()}).`, { service }))
    }, timeoutMs)
    const onState = (c: StateChange) => {
      if (c.service !== service || c.to !== state) return
      clearTimeout(timer)
      events.off('state', onState)
      resolve()
    }
    events.on('state', onState)
  })
}
