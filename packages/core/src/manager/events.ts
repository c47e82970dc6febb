// Everything the manager reports, in one typed map.

import type { LogLine } from './log-buffer.js'
import type { ExitInfo, InstanceState, ServiceState, UsageSample } from '../protocol/snapshot.js'
import type { SerializedError } from '../errors.js'
import type { EventDrop } from './event-fanout.js'

export interface StateChange {
  service: string
  from: ServiceState
  to: ServiceState
  at: number
  reason: string
}

/** One instance of a service (`api#1`) changed state; the service's own state may not have. */
export interface InstanceChange {
  service: string
  /** `api#1` */
  instance: string
  index: number
  pid: number | null
  from: InstanceState
  to: InstanceState
  at: number
  reason: string
}

export interface ManagerEvents {
  state: [change: StateChange]
  /** A starting service's process exists (its pid is known, and `waitingFor` says what it now waits for). */
  spawned: [spawned: { service: string; pid: number | null; at: number }]
  log: [line: LogLine]
  exit: [exit: ExitInfo & { service: string }]
  crash: [crash: { service: string; code: number | null; signal: string | null; at: number }]
  /** A restart is scheduled: of the service, or of one instance (`instance`) while the others serve. */
  restart: [restart: { service: string; instance?: string; attempt: number; delayMs: number; at: number }]
  instance: [change: InstanceChange]
  /** One instance crashed while others served: it is restarted alone, its dependents do not notice. */
  instanceCrash: [crash: { service: string; instance: string; code: number | null; signal: string | null; at: number }]
  /** An instance's process tree stayed above limits.memoryMb: it is replaced by a reload. */
  overLimit: [over: { service: string; instance: string; rss: number; limitMb: number; at: number }]
  /** Gave up restarting (restart intensity exceeded); its dependents stay closed. */
  failed: [failure: { service: string; why: string; at: number }]
  exception: [exception: { service: string; kind: string; error: SerializedError; at: number }]
  usage: [usage: { service: string } & UsageSample]
  /** A critical service failed: the manager is closing everything. */
  fatal: [fatal: { service: string; why: string; at: number }]
  /** In a cluster on NATS: another host closed the whole cluster (`svc down` there); this manager closes. */
  clusterDown: [down: { host: string; at: number }]
  /** A service wrote something to its channel that is not a protocol message. */
  malformed: [malformed: { service: string; value: unknown; at: number }]
  notice: [notice: { service: string; message: string; at: number }]
  /** Events to a subscriber that is not reading its channel were dropped: one report per source and event name, at
   * most once a second per subscriber, and when it exits (manager/event-fanout.ts). */
  eventsDropped: [drop: EventDrop & { at: number }]
  /** Watch mode: files changed under what these services watch; they restart next, with their dependents. */
  filesChanged: [change: { services: string[]; files: string[]; at: number }]
  /** A service tried to use one it may not: a call (with its method), a subscription or a direct channel. */
  denied: [denial: { caller: string; target: string; action: string; at: number }]
  /** The manager began serving its metrics for Prometheus at `url` (the `metrics` option or the manifest's). */
  metrics: [serving: { url: string; at: number }]
}
