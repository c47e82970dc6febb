// Where the dashboard's facts come from: a ServicesManager in this process (`svc up --ui`), or a running
// manager's control socket (`svc ui`). The server only ever talks to this interface.

import type { LogLine, ServiceSnapshot, UsageSample } from '@services-cluster/core'
import type { DashboardInfo } from './protocol.js'

/** A service's snapshot changed in a way people see (state, display state, pid, restarts, last exit). */
export interface ServiceUpdate {
  snapshot: ServiceSnapshot
  /** The reason of the state change behind the update, when there was one. */
  reason: string | null
}

export type SourceEvent =
  | { type: 'service'; update: ServiceUpdate }
  | { type: 'usage'; service: string; sample: UsageSample }
  /** The manager is going away: the dashboard closes its streams. */
  | { type: 'closing'; reason: string }

/** Receives the tail of a service's log, then each new line, in that order and without a gap. */
export interface LogSink {
  tail(lines: LogLine[]): void
  line(line: LogLine): void
}

export interface DashboardSource {
  info(): Omit<DashboardInfo, 'historyLength'>
  /** Every service, with the reason of its latest state change when the source knows it. */
  services(): Promise<ServiceUpdate[]>
  /** The recent CPU/RSS samples of every service, oldest first. */
  usageHistory(): Promise<Record<string, UsageSample[]>>
  /** Reports changes until the returned function is called. Called once, before services(). */
  subscribe(listener: (event: SourceEvent) => void): () => void
  /** The newest `limit` lines of a service. */
  logs(service: string, limit: number): Promise<LogLine[]>
  /** The newest `limit` lines, then every new line, taken in one step. Resolves with the stop function. */
  followLogs(service: string, limit: number, sink: LogSink): Promise<() => void>
  /** These follow the manager's ordering rules: start brings dependencies up first, stop and restart close dependents first. */
  start(service: string): Promise<void>
  stop(service: string): Promise<void>
  restart(service: string): Promise<void>
}
