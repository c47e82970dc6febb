// Calls between hosts over NATS request/reply. A host serves each service it runs on
//   svc.<cluster>.call.<service>.<calling host>
// in a queue group per service, so NATS balances a service's calls over the hosts that run it; a call goes out on
// the subject naming its own host. The calling *host* is therefore a subject token, which NATS permissions can pin
// to the host's credentials (`publish: svc.<cluster>.call.*.<host>`: a host cannot speak as another, and a service
// process, which never has the credentials, cannot speak at all); the calling *service* is a header the calling
// host's manager sets from the channel the call came on, as it does for calls within one host. Arguments and
// results cross as the bytes they are (this module never decodes them), with their codec in a header when it is not
// JSON.

import { headers as natsHeaders, type MsgHdrs, type NatsConnection, type Subscription } from 'nats'
import { restoreError, serializeError, svcError, type SerializedError } from '../errors.js'
import type { BodyCodec } from '../protocol/body-codec.js'
import { argsTooLarge, requestFailed, resultTooLarge } from './nats-call-errors.js'
import { idToken, serviceToken } from './subjects.js'

/** A body as it crosses: its bytes, and how they are encoded. */
export interface Body {
  bytes: Uint8Array
  codec: BodyCodec
}

const json = (bytes: Uint8Array): Body => ({ bytes, codec: 'json' })

export function callSubject(cluster: string, service: string, fromHost: string): string {
  return `svc.${idToken('cluster', cluster)}.call.${serviceToken(service)}.${idToken('host', fromHost)}`
}

export interface IncomingCall {
  /** The host the call came from: the subject's last token (what NATS let that connection publish on). */
  fromHost: string
  /** The service that made it, as its host's manager says. */
  from: string
  method: string
  traceparent: string | undefined
  args: Uint8Array
  codec: BodyCodec
}

/** Serves `service`'s calls from every host. `handle` answers with the result (bytes: JSON), or throws (sent back, coded). */
export function serveCalls(nc: NatsConnection, cluster: string, service: string, handle: (call: IncomingCall) => Promise<Uint8Array | Body>): Subscription {
  const prefix = `svc.${idToken('cluster', cluster)}.call.${serviceToken(service)}.`
  return nc.subscribe(`${prefix}*`, {
    queue: `svc.${cluster}.${serviceToken(service)}`,
    callback: (error, msg) => {
      if (error || !msg.reply) return
      const h = msg.headers
      const call: IncomingCall = {
        fromHost: msg.subject.slice(prefix.length),
        from: h?.get('svc-from') ?? '',
        method: h?.get('svc-method') ?? '',
        traceparent: h?.get('traceparent') || undefined,
        args: msg.data,
        codec: h?.get('svc-codec') === 'v8' ? 'v8' : 'json',
      }
      const fail = (failure: unknown): void => {
        const reply = natsHeaders()
        reply.set('svc-error', JSON.stringify(serializeError(failure)))
        msg.respond(new Uint8Array(0), { headers: reply })
      }
      Promise.resolve()
        .then(() => handle(call))
        .then((answer) => {
          const result = answer instanceof Uint8Array ? json(answer) : answer
          // NATS refuses (throws on) a message over its max_payload: the caller gets that, coded, not a timeout.
          const limit = nc.info?.max_payload ?? Infinity
          if (result.bytes.length <= limit) return void msg.respond(result.bytes, result.codec === 'json' ? undefined : { headers: codecHeader(result.codec) })
          fail(resultTooLarge(`${service}.${call.method}`, service, result.bytes.length, limit))
        }, fail)
        // Whatever still fails here (the connection closed under the answer) is the caller's timeout, never a crash.
        .catch(() => undefined)
    },
  })
}

export interface OutgoingCall {
  fromHost: string
  from: string
  to: string
  method: string
  args: Uint8Array
  /** How `args` are encoded (default JSON). */
  codec?: BodyCodec
  traceparent?: string
  timeoutMs: number
}

/** Calls `to` on whichever host runs it (this one's own subscription included); resolves with the result. */
export async function callOverNats(nc: NatsConnection, cluster: string, call: OutgoingCall): Promise<Body> {
  const h: MsgHdrs = call.codec === 'v8' ? codecHeader('v8') : natsHeaders()
  h.set('svc-from', call.from)
  h.set('svc-method', call.method)
  if (call.traceparent) h.set('traceparent', call.traceparent)
  const what = `${call.to}.${call.method}`
  if (call.args.length > nc.info!.max_payload) throw argsTooLarge(what, call.from, call.args.length, nc.info!.max_payload)
  let reply
  try {
    reply = await nc.request(callSubject(cluster, call.to, call.fromHost), call.args, { timeout: call.timeoutMs, headers: h })
  } catch (error) {
    if ((error as { code?: string }).code === '503') {
      throw svcError('SVC_ERR_SERVICE_NOT_RUNNING', `Service "${call.to}" runs on no host of cluster "${cluster}" now; ${call.method} was not called. Retry once it runs.`, { service: call.to, details: { method: call.method } })
    }
    throw requestFailed(error, call, `NATS refused host "${call.fromHost}" the subject of ${what}: its credentials do not allow calling as this host. Check cluster.nats credentials and the host id.`)
  }
  const failure = reply.headers?.get('svc-error')
  if (failure) throw restoreError(JSON.parse(failure) as SerializedError)
  return { bytes: reply.data, codec: reply.headers?.get('svc-codec') === 'v8' ? 'v8' : 'json' }
}

function codecHeader(codec: BodyCodec): MsgHdrs {
  const h = natsHeaders()
  h.set('svc-codec', codec)
  return h
}
