// The supervisor as the manager runs it: its view of the graph, what people are told of each restart, and what a
// critical service's failure does (the whole manager closes).

import type { EventEmitter } from 'eventemitter3'
import type { DependencyGraph } from '../graph/dependency-graph.js'
import type { ServiceNode } from '../node/service-node.js'
import { Supervisor } from '../supervision/supervisor.js'
import type { ManagerEvents } from './events.js'

export interface RecoveryHost {
  closing(): boolean
  node(name: string): ServiceNode
  /** The graph as it is now (apply() and child services change it). */
  graph(): DependencyGraph
  events: EventEmitter<ManagerEvents>
  /** Boot a crashed service's replacement, and its dependents', while they close (ManagerOptions.prewarm). */
  prewarm: boolean
  random(): number
  /** A critical service is gone for good. */
  fail(node: ServiceNode, why: string): void
}

export function createSupervisor(host: RecoveryHost): Supervisor {
  const { events } = host
  const gone = (node: ServiceNode, why: string) => {
    void node.dispose()
    if (node.service.critical) host.fail(node, why)
  }
  return new Supervisor({
    isClosing: () => host.closing(),
    node: (name) => host.node(name),
    transitiveDependents: (name) => [...host.graph().transitiveDependents([name])],
    transitiveDependencies: (name) => [...host.graph().withDependencies([name])].filter((n) => n !== name),
    now: () => Date.now(),
    random: () => host.random(),
    onRestartScheduled: (node, attempt, delayMs, instance) =>
      events.emit('restart', { service: node.name, ...(instance && { instance: instance.id }), attempt, delayMs, at: Date.now() }),
    onInstanceLeftDown: (node, instance, why) =>
      events.emit('notice', { service: node.name, message: `${instance.id} not restarted: ${why}; the other instances serve`, at: Date.now() }),
    onGaveUp: (node, why) => {
      events.emit('failed', { service: node.name, why, at: Date.now() })
      gone(node, why)
    },
    onStayClosed: (node, why) => {
      events.emit('notice', { service: node.name, message: `not restarted: ${why}`, at: Date.now() })
      gone(node, why)
    },
    prewarm: (node) => {
      if (host.prewarm) void node.prepare().catch(() => {})
    },
    release: (node) => void node.dispose(),
  })
}
