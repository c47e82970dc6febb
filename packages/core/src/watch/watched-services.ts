// What watch mode watches for each service: its own `watch`, else — under `svc up --watch` — a Node service's entry
// directory. Child services are never watched: their parent's restart replaces them.

import { dirname } from 'node:path'
import type { ResolvedService, ResolvedWatch } from '../manifest/normalize.js'

export function watchedServices(services: Iterable<ResolvedService>, watchAll: boolean): { name: string; watch: ResolvedWatch }[] {
  return [...services].flatMap((service) => {
    if (service.parent !== null || service.watch === false) return []
    const watch = service.watch ?? (watchAll && service.kind === 'node' ? { paths: [dirname(service.entry)], ignore: [] } : null)
    return watch ? [{ name: service.name, watch }] : []
  })
}
