// The control socket protocol: JSON-RPC 2.0, one JSON object per line, over a Unix socket in the state directory.
//
//   client → manager   {"jsonrpc":"2.0","id":1,"method":"ps","params":{}}
//   manager → client   {"jsonrpc":"2.0","id":1,"result":[...]}            or  {"jsonrpc":"2.0","id":1,"error":{code,message,data}}
//   manager → client   {"jsonrpc":"2.0","method":"log","params":{...}}    notifications for subscribed connections
//
// A client starts with `hello`, which carries CONTROL_PROTOCOL_VERSION both ways.

import type { ApplyPlan, DependencyCondition, LogLine, SerializedError, ServiceSnapshot, StateChange, UsageSample } from '@services-cluster/core'

export const CONTROL_PROTOCOL_VERSION = 1
export const SOCKET_NAME = 'control.sock'

export interface ManagerInfo {
  protocol: number
  pid: number
  /** Absolute path of the manifest the manager runs. */
  configFile: string
  cwd: string
  stateDir: string
  socketPath: string
  startedAt: number
  services: string[]
}

export interface GraphInfo {
  /** `conditions`: what each dependency must be before the service starts ('ready' unless the manifest says
   *  otherwise); absent from a manager older than the field (same protocol version: it only adds). */
  services: { name: string; dependsOn: string[]; conditions?: Record<string, DependencyCondition> }[]
  startOrder: string[]
}

/** log: output lines; state: state changes; service: a fresh snapshot on every visible change; usage: CPU/RSS samples. */
export type Topic = 'log' | 'state' | 'service' | 'usage'
export const TOPICS: readonly Topic[] = ['log', 'state', 'service', 'usage']

/** A service's snapshot changed in a way people see: its state, or its display state (restarting, failed). */
export interface ServiceUpdate {
  snapshot: ServiceSnapshot
  /** The reason of the state change behind it; null when the display state moved on its own. */
  reason: string | null
}

export type UsagePoint = { service: string } & UsageSample

export interface ReloadedService {
  service: string
  instances: number
  ms: number
}

/** Every method: its params and its result. */
export interface ControlMethods {
  hello: { params: { protocol: number }; result: ManagerInfo }
  ps: { params: Record<string, never>; result: ServiceSnapshot[] }
  /** Node pools the running services are in (scheduler cluster mode): pool, this node, state, members. */
  cluster: { params: Record<string, never>; result: { service: string; pool: string; nodeId: string; state: string; members: string[] }[] }
  /** The newest `limit` lines (all services merged, oldest first); with follow, `log` notifications continue from there. */
  logs: { params: { services?: string[]; limit?: number; follow?: boolean }; result: { lines: LogLine[] } }
  subscribe: { params: { topics: Topic[]; services?: string[] }; result: { topics: Topic[] } }
  call: { params: { service: string; method: string; args?: unknown[] }; result: unknown }
  start: { params: { service: string }; result: ServiceSnapshot[] }
  stop: { params: { service: string }; result: ServiceSnapshot[] }
  restart: { params: { service: string }; result: ServiceSnapshot[] }
  /** Sets how many instances the service runs (`svc scale`); answers once the new ones run or the surplus closed. */
  scale: { params: { service: string; instances: number }; result: { ms: number; services: ServiceSnapshot[] } }
  /** Replaces the instances of the named services (default: every running one) one at a time without downtime, in
   * dependency order (`svc reload`). `reloaded`: each service with how many instances it has and how long it took. */
  reload: { params: { services?: string[] }; result: { reloaded: ReloadedService[]; services: ServiceSnapshot[] } }
  /** Signals the processes of a service (`api`) or of one instance (`api#1`) without the close protocol, as a crash
   * would be (`svc kill`); answers once the process exited and the supervisor's recovery settled. */
  kill: { params: { target: string; signal?: string }; result: ServiceSnapshot[] }
  graph: { params: Record<string, never>; result: GraphInfo }
  /** The recent CPU/RSS samples (oldest first) of the named services (default: all), by service. */
  usage: { params: { services?: string[] }; result: Record<string, UsageSample[]> }
  /** Re-reads the manifest `file` (the manager loads it itself) and changes the running graph to it (`svc apply`);
   * with dryRun, only plans. `applied` is false for a dry run. */
  apply: { params: { file: string; dryRun?: boolean }; result: { plan: ApplyPlan; applied: boolean; services: ServiceSnapshot[] } }
  /** Closes every service in reverse order, answers, then the manager process exits. */
  /** Without `host`: every service of the graph, on every host of a cluster on NATS; with it: this host's part. */
  down: { params: { host?: string }; result: { closed: string[] } }
}
export type MethodName = keyof ControlMethods
export type ParamsOf<M extends MethodName> = ControlMethods[M]['params']
export type ResultOf<M extends MethodName> = ControlMethods[M]['result']

export interface ControlNotifications {
  log: LogLine
  state: StateChange
  service: ServiceUpdate
  usage: UsagePoint
  /** The manager is going away (down, signal, fatal), or — with `cutOff` — hangs up on this client alone because it
   * read too slowly; the connection closes next. */
  closing: { reason: string; cutOff?: true }
}
export type NotificationName = keyof ControlNotifications

export type RequestId = number | string

export interface RpcRequest {
  jsonrpc: '2.0'
  id: RequestId
  method: string
  params?: unknown
}
export interface RpcNotification<N extends NotificationName = NotificationName> {
  jsonrpc: '2.0'
  method: N
  params: ControlNotifications[N]
}
export interface RpcSuccess {
  jsonrpc: '2.0'
  id: RequestId
  result: unknown
}
export interface RpcFailure {
  jsonrpc: '2.0'
  id: RequestId | null
  error: RpcErrorObject
}
export interface RpcErrorObject {
  code: number
  message: string
  /** The framework error behind it, with its SVC_ERR_ code. */
  data?: SerializedError
}
export type RpcResponse = RpcSuccess | RpcFailure

/** JSON-RPC 2.0 error codes, plus one application code for framework errors. */
export const RPC = {
  parseError: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internalError: -32603,
  serviceError: -32000,
} as const

export function isResponse(value: unknown): value is RpcResponse {
  return typeof value === 'object' && value !== null && 'id' in value && ('result' in value || 'error' in value)
}

export function isNotification(value: unknown): value is RpcNotification {
  return typeof value === 'object' && value !== null && !('id' in value) && typeof (value as { method?: unknown }).method === 'string'
}
