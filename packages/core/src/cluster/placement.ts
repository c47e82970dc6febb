// Where a service's instances run in a cluster, from its `placement` and the hosts up now. Pure: the same inputs
// give every host the same answer, so no host needs to ask another where something runs.
//
//   { hosts: [...] }  pinned: instance i runs on the i-th (mod n) of the listed hosts that are up, in the list's order
//   'every'           each host up runs all of the service's instances
//   'any'             a singleton: one host at a time runs it, the one holding its lease (cluster/lease.ts)

export type Placement = 'any' | 'every' | { hosts: string[] }

export type Decision =
  /** The instance indexes this host runs (possibly none: they run elsewhere). */
  | { kind: 'here'; instances: number[] }
  /** Whoever holds the service's lease runs it. */
  | { kind: 'lease' }
  /** No eligible host is up: the service waits, for this reason. */
  | { kind: 'pending'; reason: string }

export function decide(placement: Placement, instances: number, host: string, hostsUp: readonly string[]): Decision {
  if (placement === 'any') return { kind: 'lease' }
  const all = Array.from({ length: instances }, (_, i) => i)
  if (placement === 'every') return { kind: 'here', instances: hostsUp.includes(host) ? all : [] }
  const eligible = placement.hosts.filter((h) => hostsUp.includes(h))
  if (eligible.length === 0) return { kind: 'pending', reason: `none of its hosts (${placement.hosts.join(', ')}) is up` }
  return { kind: 'here', instances: all.filter((i) => eligible[i % eligible.length] === host) }
}
