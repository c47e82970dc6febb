// Where a service's instances run in a cluster, from its `placement` and the hosts up. Pure: the same inputs give
// every host the same answer.
//
//   'every'           each host runs all of the service's instances, its own;
//   { hosts: [...] }  instance i is a slot preferred on the i-th (mod n) of the listed hosts that are up, in the list's
//                     order; only listed hosts may hold it;
//   'any'             the same over every host up (sorted by id): a singleton (one instance) runs on one host at a time.
// A slot is held by a fenced lease (cluster/lease.ts), so preference decides who tries first, never who runs twice.

import type { Placement } from '../manifest/types.js'

export type { Placement }

/** Whether `host` may run the service (and so call as it). */
export function eligible(placement: Placement | null, host: string): boolean {
  return typeof (placement ?? 'any') === 'string' || (placement as { hosts: string[] }).hosts.includes(host)
}

/** The host slot `index` is preferred on, among `up` (sorted); null when none of its hosts is up, or for 'every'. */
export function preferredHost(placement: Placement | null, index: number, up: readonly string[]): string | null {
  const p = placement ?? 'any'
  if (p === 'every') return null
  const candidates = p === 'any' ? up : p.hosts.filter((h) => up.includes(h))
  return candidates.length === 0 ? null : candidates[index % candidates.length]!
}

/** Why a service cannot be placed now, or null when it can. */
export function unplaceable(placement: Placement | null, up: readonly string[]): string | null {
  const p = placement ?? 'any'
  if (typeof p === 'string') return up.length === 0 ? 'no host is up' : null
  return p.hosts.some((h) => up.includes(h)) ? null : `none of its hosts (${p.hosts.join(', ')}) is up`
}
