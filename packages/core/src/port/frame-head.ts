// A frame's header: the message without its body. Most messages travel as JSON text (`{…}`). The
// three that every relayed call is made of — a request on its way to the manager, the same request on its way to
// the callee, and a successful response — travel in a compact binary form instead, told apart by a first byte
// that JSON never starts with (1–3):
//
//   [kind u8][id f64 LE][name bytes u8][name (UTF-8)][method (UTF-8, to the header's end)]   a request
//   [kind u8][id f64 LE][name bytes u8][name][trace bytes u8][trace (ASCII)][method]          a traced request
//   [kind u8][id f64 LE]                                                                      an ok response
//
// where a request's name is `to` (REQUEST_TO: service → manager) or `from` (REQUEST_FROM: manager → service), and a
// traced request (the caller traces: remote/tracing.ts) carries its W3C traceparent as well. A
// relayed call is four of these headers in the manager and two in each service; encoding and decoding them this
// way costs ≈ 0.1 µs each against ≈ 0.3 µs for JSON.stringify and ≈ 0.45 µs for JSON.parse of the same header.
// A message with any other shape (an error response, a name longer than MAX_NAME_CHARS) goes as JSON.

import type { IncomingRequestMessage, OutgoingRequestMessage, ResponseMessage } from '../protocol/messages.js'

const REQUEST_TO = 1
const REQUEST_FROM = 2
const RESPONSE_OK = 3
const REQUEST_TO_TRACED = 4
const REQUEST_FROM_TRACED = 5
/** A traceparent is 55 characters; anything that does not fit one length byte goes as JSON. */
const MAX_TRACE_CHARS = 255
/** kind + id */
const FIXED_BYTES = 9
/** At most 3 UTF-8 bytes per UTF-16 unit: names this short always fit the one-byte length. */
const MAX_NAME_CHARS = 85

export type CompactMessage =
  | OutgoingRequestMessage
  | IncomingRequestMessage
  | Extract<ResponseMessage, { ok: true }>

/** `message` itself when it has a compact header, else null (it goes as JSON). */
export function asCompact(message: Record<string, unknown>): CompactMessage | null {
  if (typeof message.id !== 'number') return null
  if (message.type === 'response') return message.ok === true ? (message as CompactMessage) : null
  if (message.type !== 'request' || typeof message.method !== 'string') return null
  const name = typeof message.to === 'string' ? message.to : message.from
  if (message.trace !== undefined && !fitsCompact(message.trace)) return null
  return typeof name === 'string' && name.length <= MAX_NAME_CHARS ? (message as CompactMessage) : null
}

// Calls made from one span carry the same traceparent: the last one that fits is kept, so a burst checks it once.
let lastTrace = ''

/** Whether a trace goes in a compact header: printable ASCII (what a traceparent is) that fits its length byte. */
function fitsCompact(trace: unknown): boolean {
  if (trace === lastTrace) return true
  if (!(typeof trace === 'string' && trace.length <= MAX_TRACE_CHARS && /^[\x20-\x7e]*$/.test(trace))) return false
  lastTrace = trace
  return true
}

/** A request on its way to the manager (it names `to`), rather than to the callee (it names `from`). */
function isOutgoing(message: OutgoingRequestMessage | IncomingRequestMessage): message is OutgoingRequestMessage {
  return typeof (message as Partial<OutgoingRequestMessage>).to === 'string'
}

/** An upper bound of the compact header's length in bytes. */
export function compactHeadMax(message: CompactMessage): number {
  if (message.type === 'response') return FIXED_BYTES
  const name = isOutgoing(message) ? message.to : message.from
  const trace = message.trace === undefined ? 0 : 1 + message.trace.length
  return FIXED_BYTES + 1 + 3 * (name.length + message.method.length) + trace
}

/** Writes the compact header of `message` at `offset` (room for compactHeadMax bytes); returns its length. */
export function writeCompactHead(message: CompactMessage, buf: Buffer, offset: number): number {
  buf.writeDoubleLE(message.id, offset + 1)
  if (message.type === 'response') {
    buf[offset] = RESPONSE_OK
    return FIXED_BYTES
  }
  const outgoing = isOutgoing(message)
  const trace = message.trace
  buf[offset] = trace === undefined ? (outgoing ? REQUEST_TO : REQUEST_FROM) : outgoing ? REQUEST_TO_TRACED : REQUEST_FROM_TRACED
  const nameAt = offset + FIXED_BYTES + 1
  const nameBytes = buf.write(outgoing ? message.to : message.from, nameAt)
  buf[offset + FIXED_BYTES] = nameBytes
  let methodAt = nameAt + nameBytes
  if (trace !== undefined) {
    buf[methodAt] = trace.length
    methodAt += 1 + buf.write(trace, methodAt + 1, 'latin1')
  }
  const methodBytes = buf.write(message.method, methodAt)
  return methodAt + methodBytes - offset
}

/** Decodes the header in buf[start, end); throws on bytes that are neither a compact header nor JSON. */
export function readHead(buf: Buffer, start: number, end: number): Record<string, unknown> {
  const kind = buf[start]
  // Anything else is JSON (which never starts with these control bytes). Well-formed JSON that is not a protocol
  // message is the caller's to report: a service's own code can write such frames to its fd 3.
  if (kind === undefined || kind < REQUEST_TO || kind > REQUEST_FROM_TRACED) {
    return JSON.parse(buf.toString('utf8', start, end)) as Record<string, unknown>
  }
  if (end - start < FIXED_BYTES) throw new Error('a header too short to be one')
  const id = buf.readDoubleLE(start + 1)
  if (kind === RESPONSE_OK) {
    if (end - start !== FIXED_BYTES) throw new Error('a response header with trailing bytes')
    return { type: 'response', id, ok: true }
  }
  const nameAt = start + FIXED_BYTES + 1
  const nameEnd = nameAt + (buf[start + FIXED_BYTES] ?? 0)
  if (nameEnd > end) throw new Error('a request header shorter than its name')
  const name = buf.toString('utf8', nameAt, nameEnd)
  const traced = kind === REQUEST_TO_TRACED || kind === REQUEST_FROM_TRACED
  let methodAt = nameEnd
  let trace: string | undefined
  if (traced) {
    methodAt = nameEnd + 1 + (buf[nameEnd] ?? 0)
    if (nameEnd >= end || methodAt > end) throw new Error('a request header shorter than its trace')
    trace = buf.toString('latin1', nameEnd + 1, methodAt)
  }
  const method = buf.toString('utf8', methodAt, end)
  const head: Record<string, unknown> = kind === REQUEST_TO || kind === REQUEST_TO_TRACED ? { type: 'request', id, to: name, method } : { type: 'request', id, from: name, method }
  if (traced) head.trace = trace
  return head
}
