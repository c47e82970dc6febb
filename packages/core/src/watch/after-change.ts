// What a change under watch does to the services it names: a running Node service is reloaded (no downtime, its
// dependents untouched); one that cannot be (its replacement did not start beside it: new code that throws, a port it
// binds itself), a command service, or one not running, is restarted with its dependents as the graph's rules say.

import type { ServiceNode } from '../node/service-node.js'

export interface AfterChangeHost {
  /** The names in dependency order. */
  inStartOrder(names: string[]): string[]
  node(name: string): ServiceNode
  /** ServicesManager.restart: closes them and their running dependents, then starts them again in order. */
  restart(names: string[]): Promise<void>
  start(names: string[]): Promise<void>
  notice(service: string, message: string): void
}

/** Reloads or restarts `names`, then starts `andStart` (dependents a failed restart left closed). */
export async function afterChange(host: AfterChangeHost, names: string[], andStart: string[]): Promise<void> {
  const restarted: string[] = []
  for (const name of host.inStartOrder(names)) {
    const node = host.node(name)
    if (node.state !== 'running' || node.kind !== 'node') {
      restarted.push(name)
      continue
    }
    try {
      await node.reload('files changed')
    } catch (error) {
      host.notice(name, `reload after a change failed (${(error as Error).message}); restarting it with its dependents`)
      restarted.push(name)
    }
  }
  if (restarted.length > 0) await host.restart(restarted)
  if (andStart.length > 0) await host.start(andStart)
}
