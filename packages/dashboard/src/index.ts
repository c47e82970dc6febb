// Public API of @services-cluster/dashboard: serve the live dashboard of a manager, in this process or behind
// a control socket (the CLI's `svc ui` adapts its control client to DashboardSource).
export { startDashboard, HOST } from './server/start-dashboard.js'
export type { Dashboard, DashboardOptions } from './server/start-dashboard.js'
export { DASHBOARD_LIMITS } from './server/limits.js'
export type { DashboardLimits } from './server/limits.js'
export { DashboardError } from './server/errors.js'
export type { DashboardFailureCode } from './server/errors.js'
export { managerSource } from './sources/manager-source.js'
export { watchServiceChanges, watchUsage } from './sources/service-updates.js'
export type { ChangeListener } from './sources/service-updates.js'
export type { DashboardSource, LogSink, ServiceUpdate, SourceEvent } from './source.js'
export { ACTIONS, EXCEPTION_LINE, TOKEN_HEADER } from './protocol.js'
export type { Action, ApiError, DashboardEvent, DashboardInfo, LogEvent, ServiceView, UsagePoint } from './protocol.js'
