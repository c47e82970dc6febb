// Public API. The default export is the service definition, so a manifest can say
// `entry: '@services-cluster/scheduler'`; the engine and its types are named exports.

import service from './service.js'

export default service
export { createSchedulerApi, type SchedulerApi, type SchedulerServiceConfig } from './service.js'
export { Scheduler, type SchedulerEvents, type SchedulerLogger, type SchedulerOptions, type SkipReason } from './scheduler.js'
export type { TaskDefinition, CallTarget } from './task.js'
export { validateTask } from './task.js'
export { parseDuration } from './duration.js'
export type { LastRun, RunInfo, RunOutcome, RunTrigger, TaskCounts, TaskStatus } from './status.js'
export type { CallFunction, CallOptions } from './executor.js'
export type { ClaimContext, ClaimRefused, RunClaim, RunGate } from './gate.js'
export { SchedulerCluster, resolveCluster, type ClusterConfig, type ClusterSettings, type ClusterStatus } from './cluster.js'
export { systemClock, type Clock, type TimerHandle } from './clock.js'
export { FileTaskStore, MemoryTaskStore, type PersistedState, type TaskStore } from './store.js'
export { TinypoolModuleRunner, type ModuleRunner, type TinypoolRunnerOptions } from './module-runner.js'
export { ErrorCodes, SchedulerError, type ErrorCode, type RunError } from './errors.js'
