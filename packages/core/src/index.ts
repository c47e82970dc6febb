// Host-side public API of @services-cluster/core. Test doubles are in ./testing (@services-cluster/core/testing).
export { defineServices } from './manifest/types.js'
export type {
  BackoffOptions,
  ClusterOptions,
  Placement,
  CommandServiceSpec,
  DependencyCondition,
  HealthCheck,
  ListenOptions,
  LogOptions,
  Manifest,
  MetricsOptions,
  NodeServiceSpec,
  Permissions,
  ProbeTiming,
  ReadyProbe,
  RestartOptions,
  RestartPolicyName,
  ServiceSpec,
  WatchOptions,
} from './manifest/types.js'
export { normalizeManifest } from './manifest/normalize.js'
export type { ResolvedHealth, ResolvedManifest, ResolvedService, ResolvedWatch } from './manifest/normalize.js'
export { ServicesManager } from './manager/services-manager.js'
export type { ManagerOptions } from './manager/services-manager.js'
export type { ApplyPlan, ServiceChange } from './manager/apply-plan.js'
export type { InstanceChange, ManagerEvents, StateChange } from './manager/events.js'
export type { EventDrop } from './manager/event-fanout.js'
export type { LogLine } from './manager/log-buffer.js'
export type { FollowedLogs } from './cluster/log-relay.js'
export { DependencyGraph } from './graph/dependency-graph.js'
export { privateDir } from './supervision/private-dir.js'
export { ServiceError, serializeError, restoreError } from './errors.js'
export type { ErrorCode, SerializedError } from './errors.js'
export { ServiceContainer } from './container/service-container.js'
export type { ContainerFactory, ExitReport } from './container/service-container.js'
export { ProcessContainer } from './container/process-container.js'
export { CommandContainer } from './container/command-container.js'
export { ServiceController } from './controller/service-controller.js'
export { ConnectionPort } from './port/connection-port.js'
export { FramePort } from './port/frame-port.js'
export { PROTOCOL_VERSION } from './protocol/messages.js'
export type { HostMessage, RemoteMessage } from './protocol/messages.js'
export type { DisplayState, ExitInfo, InstanceSnapshot, InstanceState, ServiceSnapshot, ServiceState, UsageSample } from './protocol/snapshot.js'
