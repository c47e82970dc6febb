// Events between hosts over NATS subjects. A host publishes an event of a service it runs on
//   svc.<cluster>.event.<source>.<publishing host>     (the event's name and payload in the message)
// and each subscribing service receives them in a queue group of its own, so one of its instances — on whichever
// host — gets each event once, as within one host. As with calls (nats-calls.ts), the publishing host is a subject
// token that NATS permissions can pin to its credentials.

import { headers as natsHeaders, type NatsConnection, type Subscription } from 'nats'
import { svcError } from '../errors.js'
import type { BodyCodec } from '../protocol/body-codec.js'
import { idToken, serviceToken } from './subjects.js'

export interface ClusterEvent {
  fromHost: string
  source: string
  event: string
  payload: Uint8Array
  codec: BodyCodec
}

export function publishEvent(nc: NatsConnection, cluster: string, fromHost: string, source: string, event: string, payload: Uint8Array, codec: BodyCodec = 'json'): void {
  const limit = nc.info?.max_payload ?? Infinity
  if (payload.length > limit) {
    throw svcError('SVC_ERR_MESSAGE_TOO_LARGE', `Event ${source}.${event} is ${payload.length} bytes; NATS takes at most ${limit} (its max_payload). Emit less, or raise max_payload.`, {
      service: source,
      details: { bytes: payload.length, limitBytes: limit },
    })
  }
  const h = natsHeaders()
  h.set('svc-event', event)
  if (codec !== 'json') h.set('svc-codec', codec)
  nc.publish(`svc.${idToken('cluster', cluster)}.event.${serviceToken(source)}.${idToken('host', fromHost)}`, payload, { headers: h })
}

/** Delivers `source`'s events named in `events` to one instance of `subscriber`, cluster-wide. */
export function subscribeEvents(nc: NatsConnection, cluster: string, subscriber: string, source: string, events: ReadonlySet<string>, deliver: (event: ClusterEvent) => void): Subscription {
  const prefix = `svc.${idToken('cluster', cluster)}.event.${serviceToken(source)}.`
  return nc.subscribe(`${prefix}*`, {
    queue: `svc.${cluster}.events.${serviceToken(subscriber)}`,
    callback: (error, msg) => {
      const event = msg?.headers?.get('svc-event')
      if (error || !event || !events.has(event)) return
      deliver({ fromHost: msg.subject.slice(prefix.length), source, event, payload: msg.data, codec: msg.headers?.get('svc-codec') === 'v8' ? 'v8' : 'json' })
    },
  })
}
