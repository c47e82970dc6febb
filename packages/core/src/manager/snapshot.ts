// A service as `svc ps`, the dashboard and manager.service() show it: one plain object, safe to serialize.

import { startWaitsFor } from '../container/readiness.js'
import type { ServiceNode } from '../node/service-node.js'
import type { ServiceSnapshot, UsageSample } from '../protocol/snapshot.js'
import { displayState } from './display-state.js'

export function snapshotOf(node: ServiceNode, usage: UsageSample | null, calls: ServiceSnapshot['calls']): ServiceSnapshot {
  const { service, container } = node
  return {
    name: node.name,
    state: node.state,
    display: displayState(node),
    pid: container.pid,
    sparePid: container.sparePid,
    directSocket: node.state === 'running' ? (container.controller?.directPath ?? null) : null,
    dependsOn: [...service.dependsOn],
    conditions: { ...service.conditions },
    kind: service.kind,
    command: service.commandLine,
    oneshot: service.oneshot,
    waitingFor: node.state === 'starting' ? startWaitsFor(service) : null,
    restarts: node.restarts,
    startedAt: node.startedAt,
    lastExit: node.lastExit,
    usage,
    calls,
    critical: service.critical,
    parent: service.parent,
    listen: container.listening && { ...container.listening },
  }
}
