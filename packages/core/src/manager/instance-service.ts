// What one instance's container is given: its service, with SVC_INSTANCE (0, 1 …) in its environment (and, with a
// NATS user of its own, in the subject it serves).

import type { ResolvedService } from '../manifest/normalize.js'

export function instanceOf(service: ResolvedService, index: number): ResolvedService {
  return { ...service, env: { ...service.env, SVC_INSTANCE: String(index) }, ...(service.nats && { nats: { ...service.nats, index } }) }
}
