// The node-redis-rpc wire format (npm `node-redis-rpc`, built on `node-redis-pubsub`), as used by seed 000:
//
//   request  PUBLISH <scope:>channel      JSON { payload: { method, params }, __type: "rpc", __backChannel: "<uuid v4>" }
//   reply    PUBLISH <scope:>backChannel  JSON { err, result }        (err is null on success)
//
// - `<scope:>` is `${scope}:` when the node-redis-rpc `scope` option is set, else empty.
// - Subscribers use PSUBSCRIBE with the (prefixed) channel name as the pattern, as node-redis-pubsub does.
// - node-redis-rpc itself puts no rule on the message body; seed 000 (pg_nm) sends `{ payload: { method, params } }`
//   and routes with `payload.to` ("checker"), so the gateway reads `payload.method` (or `${payload.to}.${method}`
//   when the method has no dot). A flat `{ method, params }` body is accepted too.
// - `params`: an array is spread into arguments, an object is passed as the one argument (as pg_nm's `{ node_type }`).
// - Claims (not part of node-redis-rpc, gateway to gateway only): before executing a request a gateway runs
//   `SET <scope:>channel:claim:<backChannel>:<sha1 of the message> <claimant> NX PX <ttl>`; only the one that gets OK
//   executes and replies. The digest keeps two different requests that share a back channel (a client with a fixed
//   reply channel) apart; byte-identical ones within the TTL are one request.
// - `err` from the gateway is the JSON-RPC error object `{ code, message, data: { code: "SVC_ERR_…" } }`;
//   old node-redis-rpc servers sent strings, so clients only test it for truthiness.

import { createHash } from 'node:crypto'
import type { RpcErrorObject } from '../jsonrpc/protocol.js'

export const RPC_TYPE = 'rpc'

export interface WireRequest {
  __type: 'rpc'
  __backChannel: string
  payload: { method: string; params?: unknown }
}

export interface WireReply {
  err: RpcErrorObject | string | null
  result?: unknown
}

export type Incoming =
  | { kind: 'ignore'; reason: string }
  | { kind: 'invalid'; backChannel: string; reason: string }
  | { kind: 'call'; backChannel: string; method: string; params: unknown }

export const scoped = (scope: string, name: string): string => (scope ? `${scope}:${name}` : name)

/** The key gateways race for with SET NX before executing a request; `channel` is the scoped channel name. */
export const claimKey = (channel: string, backChannel: string, message: string): string =>
  `${channel}:claim:${backChannel}:${createHash('sha1').update(message).digest('base64url')}`

/** Escapes glob characters so a PSUBSCRIBE pattern matches exactly one channel name. */
export const literalPattern = (name: string): string => name.replace(/[*?[\]\\]/g, '\\$&')

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

export function parseIncoming(text: string): Incoming {
  let msg: unknown
  try {
    msg = JSON.parse(text)
  } catch {
    return { kind: 'ignore', reason: 'not JSON' }
  }
  if (!isObject(msg)) return { kind: 'ignore', reason: 'not a JSON object' }
  // Plain pub/sub traffic on the channel (no RPC marker) gets no reply, exactly as in node-redis-rpc.
  if (msg.__type !== RPC_TYPE) return { kind: 'ignore', reason: 'not an rpc message' }
  const backChannel = msg.__backChannel
  if (typeof backChannel !== 'string' || backChannel === '') return { kind: 'ignore', reason: 'no __backChannel' }
  const body = isObject(msg.payload) ? msg.payload : msg
  const method = body.method
  if (typeof method !== 'string' || method === '') {
    return { kind: 'invalid', backChannel, reason: 'the message has no payload.method string' }
  }
  const to = body.to
  const full = !method.includes('.') && typeof to === 'string' && to !== '' ? `${to}.${method}` : method
  return { kind: 'call', backChannel, method: full, params: body.params }
}

/** Finds the back channel without parsing, for messages too large to parse. */
export function sniffBackChannel(text: string): string | undefined {
  return /"__backChannel"\s*:\s*"([^"\\]{1,200})"/.exec(text)?.[1]
}

export const encodeRequest = (method: string, params: unknown, backChannel: string): string =>
  JSON.stringify({ payload: { method, params }, __type: RPC_TYPE, __backChannel: backChannel } satisfies WireRequest)

export const encodeReply = (reply: WireReply): string => JSON.stringify(reply)
