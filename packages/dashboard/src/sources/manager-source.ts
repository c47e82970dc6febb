// The dashboard of a manager in this process (`svc up --ui`, or a ServicesManager in your own tests).

import type { LogLine, ServicesManager } from '@services-cluster/core'
import { debuglog } from 'node:util'
import type { DashboardSource, SourceEvent } from '../source.js'
import { watchServiceChanges, watchUsage } from './service-updates.js'

const trace = debuglog('svc:dashboard')

export function managerSource(manager: ServicesManager): DashboardSource {
  return {
    info: () => ({ project: manager.manifest.cwd, pid: process.pid }),
    services: async () =>
      manager.services().map((snapshot) => ({ snapshot, reason: manager.timeline(snapshot.name).at(-1)?.reason ?? null })),
    usageHistory: async () => Object.fromEntries(manager.manifest.graph.names.map((name) => [name, manager.usage(name)])),
    subscribe(listener: (event: SourceEvent) => void) {
      const stopUpdates = watchServiceChanges(manager, (service, reason) =>
        listener({ type: 'service', update: { snapshot: manager.service(service), reason } }),
      )
      const stopUsage = watchUsage(manager, (service, sample) => listener({ type: 'usage', service, sample }))
      return () => {
        stopUpdates()
        stopUsage()
      }
    },
    logs: (service, limit) => manager.clusterLogs(service, limit),
    async followLogs(service, limit, sink) {
      // Called from the manager's own event emitter: a failure here must never reach it.
      const line = (l: LogLine) => {
        try {
          sink.line(l)
        } catch (error) {
          trace('log sink of "%s" failed: %s', service, (error as Error).message)
        }
      }
      // In a cluster on NATS, the other hosts' lines too (named service@host): those before the tail is out are in it.
      let held: LogLine[] | null = []
      const elsewhere = await manager.followClusterLogs([service], limit, (l) => (held ? held.push(l) : line(l)))
      // This host's tail and subscription in the same tick: no line is missed or repeated.
      const tail = manager.logs(service, limit)
      const onLog = (l: LogLine) => l.service === service && line(l)
      manager.on('log', onLog)
      sink.tail([...tail, ...elsewhere.tail, ...held].sort((a, b) => a.at - b.at).slice(-limit))
      held = null
      return () => {
        manager.off('log', onLog)
        elsewhere.stop()
      }
    },
    start: (service) => manager.start([service]),
    stop: (service) => manager.close([service]),
    restart: (service) => manager.restart(service),
  }
}
