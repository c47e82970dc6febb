// A service as `svc ps`, the dashboard and manager.service() show it: one plain object, safe to serialize.

import { startWaitsFor } from '../container/readiness.js'
import type { ServiceNode } from '../node/service-node.js'
import type { InstanceSnapshot, ServiceSnapshot, UsageSample } from '../protocol/snapshot.js'
import { displayState } from './display-state.js'

export function snapshotOf(
  node: ServiceNode,
  usage: UsageSample | null,
  calls: ServiceSnapshot['calls'],
  instanceUsage: (id: string) => UsageSample | null,
): ServiceSnapshot {
  const { service } = node
  const first = node.instances.find((i) => i.live) ?? node.instances[0]
  return {
    name: node.name,
    state: node.state,
    display: displayState(node),
    pid: node.pid,
    sparePid: first?.container.sparePid ?? null,
    directSocket: node.state === 'running' ? (first?.controller?.directPath ?? null) : null,
    dependsOn: [...service.dependsOn],
    conditions: { ...service.conditions },
    kind: service.kind,
    command: service.commandLine,
    oneshot: service.oneshot,
    waitingFor: node.state === 'starting' ? (node.instances.find((i) => i.container.waitingFor)?.container.waitingFor ?? startWaitsFor(service)) : null,
    restarts: node.restarts,
    startedAt: node.startedAt,
    lastExit: node.lastExit,
    usage,
    calls,
    critical: service.critical,
    parent: service.parent,
    desiredInstances: node.desired,
    instances: node.instances.map(
      (i): InstanceSnapshot => ({
        id: i.id,
        index: i.index,
        state: i.state,
        pid: i.live ? i.pid : null,
        inFlight: i.inFlight,
        restarts: i.restarts,
        startedAt: i.startedAt,
        host: i.placement.host,
        usage: i.live ? (node.instances.length > 1 ? instanceUsage(i.id) : usage) : null,
      }),
    ),
    listen: first?.container.listening ? { ...first.container.listening } : null,
  }
}
