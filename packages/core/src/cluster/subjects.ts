// Names inside NATS subjects, where '.' separates tokens and '*', '>' and spaces mean something else.

import { svcError } from '../errors.js'

const ID = /^[A-Za-z0-9_-]+$/

/** A service name as one subject token: service names may hold '.', which travels as '~' (no service name holds one). */
export function serviceToken(name: string): string {
  return name.replaceAll('.', '~')
}

/** A cluster or host id as a subject token, or a coded error that says what to use instead. */
export function idToken(what: 'cluster' | 'host', value: string): string {
  if (!ID.test(value)) throw svcError('SVC_ERR_MANIFEST_INVALID', `The ${what} id "${value}" cannot be part of a NATS subject: use letters, digits, '-' and '_'.`)
  return value
}

/** Where one instance of a service with its own NATS user serves calls from other services' processes
 * (cluster/service-nats.ts): svc.<cluster>.direct.<service>.<host>-<index>.<calling service>. The last token is the
 * caller: its NATS user may publish only subjects that end in its own name. */
export function directSubject(cluster: string, service: string, instance: { host: string; index: number }, caller: string): string {
  return `svc.${idToken('cluster', cluster)}.direct.${serviceToken(service)}.${idToken('host', instance.host)}-${instance.index}.${serviceToken(caller)}`
}

/** The inbox prefix of a service's own NATS connection: its user may subscribe to its own replies only. */
export function serviceInbox(cluster: string, service: string): string {
  return `svc.${idToken('cluster', cluster)}.inbox.${serviceToken(service)}`
}
