// The one wire protocol between a ServiceController (host) and a RemoteService (child), carried in frames on a
// pipe (port/frame-port.ts). Every message is a member of a discriminated union on `type`; both ends switch
// exhaustively.
//
//   host                                   child
//    │◀──────────── remoteReady {protocol, pid}  (child booted, waits for code)
//    │ start {name, entry, config, …} ───────▶   (host sends the code once dependencies run)
//    │◀──────────── state starting/running       (factory resolved = running)
//    │ request/response/event ◀──────▶           (service traffic, routed by the manager)
//    │ close {reason} ───────────────▶
//    │◀──────────── state closing/closed, then the process exits

import type { SerializedError } from '../errors.js'
import { RawBody } from './raw-body.js'
import type { ServiceState } from './snapshot.js'

/**
 * Bumped on any incompatible change; checked in the handshake. 2: frames on a pipe instead of Node's IPC. 3: a body
 * may be V8-serialised. 4: requests and ok responses have a compact binary header (port/frame-head.ts). 5: direct
 * channels speak those frames too, instead of newline-delimited JSON.
 */
export const PROTOCOL_VERSION = 6

/**
 * The bulky field of each message type that has one: sent as a frame's body (port/frame-port.ts), which the manager
 * passes on between services as bytes (a RawBody) instead of decoding it. The types below are what a service sees; in
 * the manager, these fields may hold a RawBody, and code that reads them there goes through materialize().
 */
export const BODY_FIELDS: Readonly<Record<string, string>> = { request: 'args', response: 'value', event: 'payload', emit: 'payload' }

/** The manager itself as a call target (`ctx.services()`, `ctx.spawnChild()`). */
export const MANAGER_TARGET = '$manager'

export interface StartMessage {
  type: 'start'
  name: string
  /** Absolute path of the service module. */
  entry: string
  config: unknown
  /** Services this one may call (its dependencies, unless the manifest says otherwise). */
  calls: string[]
  /** `direct: true`: where to listen for direct calls, and the key that callers' tokens are made with. */
  direct?: { path: string; key: string }
  /** Its own NATS user (manifest `nats`): calls across hosts that skip the managers (cluster/service-nats.ts). */
  nats?: { url: string; cluster: string; callers: string[]; host?: string; index?: number }
  /** The manifest's `retry`, when it has one: per dependency, how its calls are retried. */
  retry?: Record<string, { attempts: number; methods: string[] | null }>
}
export interface CloseMessage {
  type: 'close'
  reason: string
}
/**
 * A call addressed to this service; `from` is set by the manager from the channel, never by the caller. (A field
 * added to a request or a response must be added to its compact header too: port/frame-head.ts.)
 */
export interface IncomingRequestMessage {
  type: 'request'
  id: number
  from: string
  method: string
  args: unknown[]
  /** W3C traceparent of the caller's active span, when it traces (remote/tracing.ts). */
  trace?: string
}
export type ResponseMessage =
  | { type: 'response'; id: number; ok: true; value: unknown }
  | { type: 'response'; id: number; ok: false; error: SerializedError }
export interface EventMessage {
  type: 'event'
  from: string
  event: string
  payload: unknown
}

export type HostMessage = StartMessage | CloseMessage | IncomingRequestMessage | ResponseMessage | EventMessage

export interface RemoteReadyMessage {
  type: 'remoteReady'
  protocol: number
  pid: number
}
export interface StateMessage {
  type: 'state'
  state: ServiceState
  /** Set when the service failed to start or closed because of an error. */
  error?: SerializedError
  /** With `running`: the socket it serves direct calls on (absent when it could not listen). */
  direct?: string
}
export interface OutgoingRequestMessage {
  type: 'request'
  id: number
  to: string
  method: string
  args: unknown[]
  /** W3C traceparent of the caller's active span, when it traces (remote/tracing.ts). */
  trace?: string
}
/** The caller gave up (timeout); the manager forgets the pending call. */
export interface CancelMessage {
  type: 'cancel'
  id: number
}
export interface EmitMessage {
  type: 'emit'
  event: string
  payload: unknown
}
export interface SubscribeMessage {
  type: 'subscribe' | 'unsubscribe'
  service: string
  event: string
}
export interface ExceptionMessage {
  type: 'exception'
  kind: 'uncaughtException' | 'unhandledRejection'
  error: SerializedError
}

export type RemoteMessage =
  | RemoteReadyMessage
  | StateMessage
  | OutgoingRequestMessage
  | ResponseMessage
  | CancelMessage
  | EmitMessage
  | SubscribeMessage
  | ExceptionMessage

const REMOTE_TYPES = new Set<string>([
  'remoteReady',
  'state',
  'request',
  'response',
  'cancel',
  'emit',
  'subscribe',
  'unsubscribe',
  'exception',
])
const HOST_TYPES = new Set<string>(['start', 'close', 'request', 'response', 'event'])

// Cheap shape checks: a service's own code can write to the channel, so the host never trusts a message blindly.
export function isRemoteMessage(value: unknown): value is RemoteMessage {
  if (typeof value !== 'object' || value === null) return false
  const m = value as Record<string, unknown>
  if (typeof m.type !== 'string' || !REMOTE_TYPES.has(m.type)) return false
  switch (m.type) {
    case 'request':
      // The manager does not parse a relayed call's arguments: they may still be the bytes they came in.
      return typeof m.id === 'number' && typeof m.to === 'string' && typeof m.method === 'string' && (Array.isArray(m.args) || m.args instanceof RawBody)
    case 'response':
      return typeof m.id === 'number' && typeof m.ok === 'boolean'
    case 'cancel':
      return typeof m.id === 'number'
    case 'subscribe':
    case 'unsubscribe':
      return typeof m.service === 'string' && typeof m.event === 'string'
    case 'emit':
      return typeof m.event === 'string'
    case 'state':
      return typeof m.state === 'string'
    default:
      return true
  }
}

export function isHostMessage(value: unknown): value is HostMessage {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { type?: unknown }).type === 'string' &&
    HOST_TYPES.has((value as { type: string }).type)
  )
}

export function assertNever(value: never): never {
  throw new Error(`unhandled message: ${JSON.stringify(value)}`)
}

// ── Direct calls ───────────────────────────────────────────────────────────────────────────────────────────────
// A `direct: true` service also listens on a Unix socket. A caller asks the manager for it
// (`$manager.directChannel(target)`): the manager checks access and answers { path, token }, where
// token = HMAC-SHA256(key, caller) with the key only the manager and the target know. The caller's first message
// names it and proves it; after that the two speak requests and responses in the frames of the manager's pipe
// (port/frame-port.ts), and the manager is not on the path.
//
//   caller                                   target
//    │ directHello {caller, token} ───────────▶   (wrong token: the connection is closed)
//    │ request {id, to, method, args} ────────▶
//    │◀──────────────── response {id, ok, value | error}
//    │◀──────────────── goaway                   (it is closing: send nothing more here)
//    │ goawayAck ─────────────────────────────▶   (nothing more comes; it closes once its calls are answered)
//
// A service with several instances has one socket and key per instance; the manager grants a caller every running
// one, and the caller spreads its calls over them.

export type DirectGrant = SocketGrant | NatsGrant

export interface SocketGrant {
  path: string
  token: string
}

/** An instance of the target that runs on another host, when both speak NATS with users of their own: call it on
 * this subject (the caller's NATS user may publish only subjects that end in its own name; the target checks that
 * name). `run` tells this run of the instance from the next: a call in flight to a run that ended is failed. */
export interface NatsGrant {
  subject: string
  run: string
}

export interface DirectHello {
  type: 'directHello'
  caller: string
  token: string
}

/**
 * Largest frame either end of a direct channel accepts. Anyone who can open the socket may write to it before the
 * token is checked, so this stays well below the manager's pipe limit (port/frame-port.ts).
 */
export const MAX_DIRECT_FRAME_BYTES = 64 * 1024 * 1024

export interface DirectGoaway {
  type: 'goaway'
}

export interface DirectGoawayAck {
  type: 'goawayAck'
}

/** What a caller sends on a direct channel; the target answers with ResponseMessages, and says goaway once. */
export type DirectCallerMessage = DirectHello | OutgoingRequestMessage | DirectGoawayAck
export type DirectTargetMessage = ResponseMessage | DirectGoaway

export function isDirectRequest(message: DirectCallerMessage): message is OutgoingRequestMessage {
  const m = message as Partial<OutgoingRequestMessage>
  return m.type === 'request' && typeof m.id === 'number' && typeof m.method === 'string' && Array.isArray(m.args)
}
