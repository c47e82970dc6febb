// Which manager events change what people see of a service. A state change is the obvious one; a start's process
// being spawned shows its pid and what it waits for; the display state also moves without one: a crashed service
// becomes `restarting` when its restart is scheduled, and `failed` when the supervisor gives up. The control
// socket's `service` notification uses this too.

import type { ManagerEvents, ServicesManager, UsageSample } from '@services-cluster/core'

/** `reason` is the state change's; null when the display state moved on its own. */
export type ChangeListener = (service: string, reason: string | null) => void

/**
 * Calls `listener` on every visible change of a service (take `manager.service(name)` then for the fresh
 * snapshot); returns the function that stops it.
 */
export function watchServiceChanges(manager: ServicesManager, listener: ChangeListener): () => void {
  const update = (service: string, reason: string | null) => {
    // A child service may already be gone from the manager again by the time its last event arrives.
    if (manager.manifest.graph.has(service)) listener(service, reason)
  }
  const handlers: { [E in keyof ManagerEvents]?: (...args: ManagerEvents[E]) => void } = {
    state: (change) => update(change.service, change.reason),
    // Still `starting`, but now with a pid and what the start waits for ("waiting for tcp 127.0.0.1:6390").
    spawned: (spawned) => update(spawned.service, null),
    restart: (restart) => update(restart.service, null),
    failed: (failure) => update(failure.service, null),
    // An instance that starts, drains, crashes or closes while its service stays running. A service of one instance
    // is left out: its instance's moves are the service's own, already told by the events above.
    instance: (change) => {
      if (!manager.manifest.graph.has(change.service)) return
      const { instances, desiredInstances } = manager.service(change.service)
      if (instances.length > 1 || desiredInstances !== 1) update(change.service, null)
    },
  }
  return on(manager, handlers)
}

/** Calls `listener` with every CPU/RSS sample the manager takes. */
export function watchUsage(manager: ServicesManager, listener: (service: string, sample: UsageSample) => void): () => void {
  return on(manager, { usage: ({ service, ...sample }) => listener(service, sample) })
}

function on(manager: ServicesManager, handlers: { [E in keyof ManagerEvents]?: (...args: ManagerEvents[E]) => void }): () => void {
  const entries = Object.entries(handlers) as [keyof ManagerEvents, (...args: never[]) => void][]
  for (const [event, handler] of entries) manager.on(event, handler as never)
  return () => {
    for (const [event, handler] of entries) manager.off(event, handler as never)
  }
}
