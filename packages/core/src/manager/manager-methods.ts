// What a service may ask of the manager itself (calls addressed to `$manager`), as one typed handler map, and the
// access rule every call, subscription and direct channel passes — each refusal audited.

import { svcError } from '../errors.js'
import type { ServiceNode } from '../node/service-node.js'
import type { DirectGrant } from '../protocol/messages.js'
import type { ServiceSnapshot } from '../protocol/snapshot.js'

export interface Denial {
  caller: string
  target: string
  action: string
}

export interface ManagerMethodsHost {
  /** The node of a live service, if there is one by that name. */
  find(name: string): ServiceNode | undefined
  /** Like find, but throws SVC_ERR_UNKNOWN_SERVICE. */
  node(name: string): ServiceNode
  services(): ServiceSnapshot[]
  spawnChild(parent: string, args: unknown[]): Promise<void>
  /** A refusal: reported as an event and a line in the caller's log. */
  denied(denial: Denial): void
}

type Handler = (from: string, args: unknown[]) => unknown

export class ManagerMethods {
  readonly #handlers: Record<string, Handler>

  constructor(private readonly host: ManagerMethodsHost) {
    this.#handlers = {
      services: (from) => this.#servicesSeenBy(from),
      spawnChild: async (from, args) => {
        await host.spawnChild(from, args)
        return null
      },
      directChannel: (from, [target]) => this.#directChannel(from, target),
    }
  }

  async call(from: string, method: string, args: unknown[]): Promise<unknown> {
    const handler = Object.hasOwn(this.#handlers, method) ? this.#handlers[method] : undefined
    if (!handler) throw svcError('SVC_ERR_UNKNOWN_METHOD', `The manager has no method "${method}" (asked by "${from}").`, { service: from })
    return handler(from, args)
  }

  /** Whether `from` may use `to` (call, subscribe, open a direct channel): only what its manifest declares. */
  mayUse(from: string, to: string, action: string): boolean {
    if (this.host.find(from)?.service.calls.includes(to)) return true
    this.host.denied({ caller: from, target: to, action })
    return false
  }

  // What a service may know of the graph: itself and the services it may call, without pids or socket paths (its
  // pids are its own PID namespace's; a socket path is only handed over with a grant).
  #servicesSeenBy(from: string): ServiceSnapshot[] {
    const calls = this.host.find(from)?.service.calls ?? []
    return this.host
      .services()
      .filter((s) => s.name === from || calls.includes(s.name))
      .map((s) => ({ ...s, pid: null, sparePid: null, directSocket: null, instances: s.instances.map((i) => ({ ...i, pid: null })) }))
  }

  // A caller's first call to a service goes through here: null = the target does not serve direct calls (the caller
  // stops asking); an error = not now (not running, not listening; the caller asks again later).
  #directChannel(from: string, target: unknown): DirectGrant[] | null {
    if (typeof target !== 'string' || !this.mayUse(from, target, 'open a direct channel')) {
      throw svcError('SVC_ERR_ACCESS_DENIED', `Service "${from}" may not call "${String(target)}": no direct channel.`, { service: from, details: { target } })
    }
    const node = this.host.node(target)
    if (!node.service.direct) return null
    // Each instance here has its own socket and key: the caller gets every running one's, and spreads its calls.
    // Only where none runs here, and both have NATS users of their own: the subject it serves on other hosts.
    const running = node.state !== 'running' ? [] : node.instances.filter((i) => i.state === 'running')
    const all = running.map((i) => i.container.directGrant(from)).filter((g) => g !== null)
    const sockets = all.filter((g) => 'path' in g)
    const overNats = this.host.find(from)?.service.nats ? all.filter((g) => 'subject' in g) : []
    const grants = sockets.length > 0 ? sockets : overNats
    if (grants.length === 0) throw svcError('SVC_ERR_SERVICE_NOT_RUNNING', `Service "${target}" serves no direct calls right now; calls are relayed.`, { service: target })
    return grants
  }
}
