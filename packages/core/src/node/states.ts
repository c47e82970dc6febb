// The real states of a service and the moves allowed between them.

import { svcError } from '../errors.js'
import type { ServiceState } from '../protocol/snapshot.js'

const ALLOWED: Record<ServiceState, ServiceState[]> = {
  closed: ['starting'],
  starting: ['running', 'completed', 'closing', 'closed'], // → completed: a one-shot exited 0
  running: ['closing', 'closed'], // running → closed directly is a crash
  completed: ['starting', 'closed'], // run again; closed with its dependents (no process is left to stop)
  closing: ['closed'],
}

export function assertTransition(service: string, from: ServiceState, to: ServiceState): void {
  if (!ALLOWED[from].includes(to)) {
    throw svcError('SVC_ERR_ILLEGAL_TRANSITION', `Service "${service}" cannot go from ${from} to ${to}. This is a bug in services-cluster; please report it.`, {
      service,
      details: { from, to },
    })
  }
}
