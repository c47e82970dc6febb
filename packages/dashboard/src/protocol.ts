// What the dashboard server sends the page, in one place. Both server-sent event streams carry JSON messages
// (the default `message` event), each with a `type`; the page switches on it exhaustively.
//
//   GET  /events?token=…                    DashboardEvent: snapshot first, then service / usage / closing
//   GET  /events/logs?service=NAME&token=…  LogEvent: tail first, then lines / closing
//   GET  /api/services                      ServiceView[]
//   GET  /api/logs?service=NAME&limit=N     { lines: LogLine[] }
//   POST /api/services/NAME/start|stop|restart   { services: ServiceView[] }  or  ApiError

import type { DependencyCondition, DisplayState, ExitInfo, InstanceSnapshot, LogLine, ServiceSnapshot, UsageSample } from '@services-cluster/core'

export type { DisplayState, ExitInfo, InstanceSnapshot, LogLine, ServiceSnapshot, UsageSample }

/** What a service waits for from a dependency before it starts: 'started', 'ready' (the default) or 'completed'. */
export type EdgeCondition = DependencyCondition

/** A service as the page shows it: the manager's snapshot plus why it last changed state. */
export interface ServiceView extends ServiceSnapshot {
  /** The reason of the latest state change ("dependency \"db\" crashed"), when known. */
  reason: string | null
}

export interface DashboardInfo {
  /** What is being watched, for the page title: the project directory. */
  project: string
  /** The manager's pid. */
  pid: number
  /** How many usage samples the page may keep per service (the server's history length). */
  historyLength: number
}

export type UsagePoint = { service: string } & UsageSample

export type DashboardEvent =
  | { type: 'snapshot'; info: DashboardInfo; services: ServiceView[]; history: Record<string, UsageSample[]> }
  | { type: 'service'; service: ServiceView }
  /** Samples since the last usage event, batched (the manager samples every service about once a second). */
  | { type: 'usage'; samples: UsagePoint[] }
  /** The dashboard is going away (the manager is closing, or `svc ui` was stopped): do not reconnect. */
  | { type: 'closing'; reason: string }

export type LogEvent =
  | { type: 'tail'; service: string; lines: LogLine[] }
  | { type: 'lines'; service: string; lines: LogLine[] }
  | { type: 'closing'; reason: string }

export type Action = 'start' | 'stop' | 'restart'
export const ACTIONS: readonly Action[] = ['start', 'stop', 'restart']

export interface ApiError {
  error: { code: string; message: string; service?: string }
}

/** The header a page (or a script) may carry the token in, instead of the query string or the cookie. */
export const TOKEN_HEADER = 'x-svc-token'

/** Recognises the exception reports the manager writes into a service's log (uncaught exceptions, rejections, start failures). */
export const EXCEPTION_LINE = /^\[svc\] (uncaughtException|unhandledRejection|start failed): /
