// A service's `nats`: its own NATS user, for calls across hosts that skip the managers (cluster/service-nats.ts).

import type { Checker } from './checks.js'
import type { ResolvedCluster, ServiceNatsAccess } from './normalize.js'
import type { ServiceFields } from './service-fields.js'

// A service's own NATS user is what NATS checks it by: it must be a user of the cluster's server, and not the hosts'
// (a service holding a host's credentials could speak as that host: close the cluster, take any slot).
export function checkServiceNats(top: Checker, fields: ServiceFields[], cluster: ResolvedCluster | null): void {
  for (const f of fields.filter((f) => f.nats !== null)) {
    const c = top.forService(f.name)
    if (!cluster?.nats) c.fail('nats', 'needs cluster: { name, nats } (a graph across hosts): it is the service\'s own NATS user there')
    else if (!/^(nats|tls|wss?):\/\//.test(f.nats!)) c.fail('nats', 'must be a nats:// URL with the service\'s own user, such as "nats://svc-checker:password@host:4222"')
    else if (userOf(f.nats!) === '') c.fail('nats', 'names no user: give the service a NATS user of its own ("nats://svc-checker:password@host:4222"); NATS checks who it is by it')
    else if (userOf(f.nats!) === userOf(cluster.nats)) c.fail('nats', 'names the hosts\' NATS user: give the service a user of its own, whose permissions name only its subjects (docs/cluster.md)')
    if (f.permissions.network === false) c.fail('nats', 'needs the network to reach NATS, and permissions.network is false: drop one of them')
  }
}

function userOf(url: string): string {
  try {
    return decodeURIComponent(new URL(url).username)
  } catch {
    return ''
  }
}

/** Where and as whom it connects, and who may call it: the services whose calls name it. */
export function natsAccessOf(f: ServiceFields, fields: ServiceFields[], cluster: ResolvedCluster | null): ServiceNatsAccess | null {
  if (f.nats === null || !cluster) return null
  return { url: f.nats, cluster: cluster.name, callers: fields.filter((o) => o.calls.includes(f.name)).map((o) => o.name) }
}
