// The lines the manager writes into a service's own log, so that whoever reads it sees what the manager did to it.

import { wholeMiB } from '../port/message-size.js'
import type { EventDrop } from './event-fanout.js'
import type { Denial } from './manager-methods.js'

export function deniedLine({ caller, target, action }: Denial): string {
  return `[svc] denied: "${caller}" may not ${action} on "${target}" (not in its dependsOn or permissions.calls)`
}

export function droppedLine({ subscriber, source, event, count, queuedBytes, limitBytes }: EventDrop): string {
  return `[svc] ${count} ${count === 1 ? 'event' : 'events'} dropped: "${event}" from "${source}"; "${subscriber}" is not reading its channel (${wholeMiB(queuedBytes)} MiB wait to be delivered to it, the limit is ${wholeMiB(limitBytes)} MiB). Is it blocking its event loop?`
}
