// `svc apply`: what a new manifest changes in the running graph — services added, removed, changed (with the fields
// that differ after normalization) and, by the graph's rule, the dependents of changed ones restarted with them.
// Pure: reading and comparing only; manager/apply.ts carries a plan out.

import { isDeepStrictEqual } from 'node:util'
import { ServiceError, svcError } from '../errors.js'
import { normalizeManifest, type EntryResolver, type ResolvedManifest, type ResolvedService } from '../manifest/normalize.js'
import type { Manifest } from '../manifest/types.js'

export interface ServiceChange {
  service: string
  /** Manifest fields whose normalized value differs (`env`, `dependsOn`, `restart`…). */
  fields: string[]
}

export interface ApplyPlan {
  add: string[]
  remove: string[]
  change: ServiceChange[]
  /** Unchanged services that run and depend on a changed one: closed before it and started again after it. */
  restart: { service: string; because: string[] }[]
  /** Everything else: left alone, same process. */
  unchanged: string[]
}

// Resolved fields that only mirror another one: a change shows under the field people wrote.
const SHOWN_AS: Record<string, string | null> = { conditions: 'dependsOn', commandLine: null, kind: null, calls: null, parent: null, name: null }

export interface PlanInput {
  current: ResolvedManifest
  /** A service runs (or starts, or is closing): its dependents of changed services restart with them. */
  active(name: string): boolean
  cwd: string
  resolveEntry?: EntryResolver
  /** Set on every service's env by the manager (SVC_RUN): added to the new definitions so that it is no difference. */
  env: Record<string, string>
}

/** Validates the new manifest as `svc up` would (every problem in one SVC_ERR_MANIFEST_INVALID), then compares. */
export function planApply(manifest: Manifest, input: PlanInput): { plan: ApplyPlan; next: ResolvedManifest } {
  const { current } = input
  const next = readNext(manifest, input)
  if (next.stateDir !== current.stateDir) {
    throw svcError('SVC_ERR_APPLY_UNSUPPORTED', `The new manifest moves stateDir from ${current.stateDir} to ${next.stateDir}: the running manager keeps its control socket and run record there. Run \`svc down\`, then \`svc up\`, to move it.`, {
      details: { field: 'stateDir' },
    })
  }
  for (const s of next.services) s.env = { ...s.env, ...input.env }
  // Child services are the running graph's own (ctx.spawnChild): never in a manifest, they go with their parent.
  const before = new Map(current.services.filter((s) => s.parent === null).map((s) => [s.name, s]))
  const after = new Map(next.services.map((s) => [s.name, s]))
  const add = [...after.keys()].filter((n) => !before.has(n))
  const remove = [...before.keys()].filter((n) => !after.has(n))
  const change = [...after.values()]
    .filter((s) => before.has(s.name))
    .map((s) => ({ service: s.name, fields: differences(before.get(s.name)!, s) }))
    .filter((c) => c.fields.length > 0)
  const changed = new Set(change.map((c) => c.service))
  const restart = [...next.graph.transitiveDependents(changed)]
    .filter((n) => before.has(n) && !changed.has(n) && input.active(n))
    .map((service) => ({ service, because: [...changed].filter((c) => next.graph.transitiveDependents([c]).has(service)) }))
  const moved = new Set([...add, ...remove, ...changed, ...restart.map((r) => r.service)])
  return { plan: { add, remove, change, restart, unchanged: [...before.keys()].filter((n) => !moved.has(n)) }, next }
}

function readNext(manifest: Manifest, input: PlanInput): ResolvedManifest {
  try {
    return normalizeManifest(manifest, input.cwd, input.resolveEntry)
  } catch (error) {
    // The new manifest alone cannot tell a typo from a service that was removed while its dependents stay.
    const dependency = error instanceof ServiceError && error.code === 'SVC_ERR_UNKNOWN_DEPENDENCY' ? error.details?.dependency : undefined
    if (typeof dependency === 'string' && input.current.graph.has(dependency)) {
      const dependent = (error as ServiceError).service
      throw svcError('SVC_ERR_REMOVED_DEPENDENCY', `Service "${dependency}" cannot be removed: "${dependent}" depends on it and stays. Remove "${dependent}" too, or take "${dependency}" out of its dependsOn.`, {
        service: dependency,
        details: { dependent },
        cause: error,
      })
    }
    throw error
  }
}

function differences(a: ResolvedService, b: ResolvedService): string[] {
  const fields = new Set<string>()
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)]) as Set<keyof ResolvedService>) {
    if (isDeepStrictEqual(a[key], b[key])) continue
    const shown = key in SHOWN_AS ? SHOWN_AS[key] : key
    if (shown) fields.add(shown)
  }
  // A switch between entry and command shows as both, whatever mirrors them.
  if (a.kind !== b.kind) fields.add(b.kind === 'command' ? 'command' : 'entry')
  return [...fields]
}
