// Child-side public API: what service modules import from '@services-cluster/core/remote'.
export { defineService, isServiceDefinition } from './context.js'
export type {
  ApiOf,
  CallOptions,
  ChildServiceOptions,
  ServiceContext,
  ServiceDefinition,
  ServiceFactory,
  ServiceLogger,
  ServiceProxy,
} from './context.js'
export type { ServiceSnapshot, ServiceState, DisplayState, UsageSample, ExitInfo } from '../protocol/snapshot.js'
export type { ListenableServer } from './listen.js'
