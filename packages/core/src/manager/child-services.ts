// ctx.spawnChild: a service created from inside a running service. It depends on its parent by force,
// closes before it, counts in its resource use, and lives as long as one run of the parent.

import { dirname } from 'node:path'
import { svcError } from '../errors.js'
import { normalizeService, type ResolvedManifest, type ResolvedService } from '../manifest/normalize.js'
import type { ServiceNode } from '../node/service-node.js'
import type { ChildServiceOptions } from '../remote/context.js'

export function createChildService(parent: ResolvedService, args: unknown[], manifest: ResolvedManifest): ResolvedService {
  const [name, options] = args as [string, ChildServiceOptions]
  if (!parent.permissions.childServices) {
    throw svcError(
      'SVC_ERR_ACCESS_DENIED',
      `Service "${parent.name}" may not create child services. Set permissions.childServices: true for it in the manifest.`,
      { service: parent.name, details: { child: name } },
    )
  }
  if (typeof name !== 'string' || !options || typeof options.entry !== 'string') {
    throw svcError('SVC_ERR_MANIFEST_INVALID', `Service "${parent.name}": spawnChild needs (name, { entry }).`, { service: parent.name })
  }
  if (manifest.graph.has(name)) {
    throw svcError('SVC_ERR_DUPLICATE_SERVICE', `Service "${parent.name}" cannot create child "${name}": that name is taken.`, {
      service: parent.name,
    })
  }
  // Relative entries are resolved from the parent's own module, as an import in its code would be.
  const child = normalizeService(
    name,
    { entry: options.entry, dependsOn: [parent.name], config: options.config, env: options.env, restart: 'never' },
    dirname(parent.entry),
    parent.name,
  )
  // It runs where its parent runs, and belongs to the same run and cluster (the SVC_* variables). It gets its
  // parent's restrictions, never fewer: a child service must not be a way out of its parent's sandbox. It may call
  // its parent only, as its dependsOn says.
  const inherited = Object.fromEntries(Object.entries(parent.env).filter(([k]) => k.startsWith('SVC_')))
  const { calls: _parentCalls, ...limits } = parent.permissions
  return { ...child, permissions: limits, cwd: parent.cwd, env: { ...inherited, ...child.env } }
}

/** Child services to drop from the graph after `closed` closed: closed children whose parent no longer runs. */
export function finishedChildren(closed: ServiceNode, nodes: ReadonlyMap<string, ServiceNode>): string[] {
  const candidates = closed.service.parent ? [closed] : [...nodes.values()].filter((n) => n.service.parent === closed.name)
  return candidates
    .filter((child) => child.state === 'closed' && nodes.get(child.service.parent!)?.state !== 'running')
    .map((child) => child.name)
}
