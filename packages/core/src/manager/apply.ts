// Carries out an ApplyPlan on the running graph: removed and changed services close (their dependents first, as
// every close does), leave the graph, the new definitions join it, and what ran starts again in dependency order.
// Services the plan does not name are never touched: same node, same process.

import type { ResolvedManifest } from '../manifest/normalize.js'
import type { ApplyPlan } from './apply-plan.js'

export interface ApplyHost {
  /** It runs, starts or is closing: a changed service or dependent that was up comes back up. */
  active(name: string): boolean
  /** Closes them and their dependents, dependents first; they stay closed (no restart by the supervisor). */
  close(names: string[]): Promise<void>
  start(names: string[]): Promise<void>
  /** Takes a closed service out of the graph. */
  drop(name: string): void
  /** Puts the new definition of a closed service, or of a new one, into the graph; its dependencies are in it already. */
  put(name: string, next: ResolvedManifest): void
}

export async function carryOut(plan: ApplyPlan, next: ResolvedManifest, host: ApplyHost): Promise<void> {
  const changed = plan.change.map((c) => c.service)
  const backUp = [...changed, ...plan.restart.map((r) => r.service)].filter((n) => host.active(n))
  await host.close([...plan.remove, ...changed])
  for (const name of plan.remove) host.drop(name)
  // Dependencies first, so that each service's edges point at services in the graph.
  for (const name of next.graph.startOrder([...changed, ...plan.add])) host.put(name, next)
  const wanted = [...plan.add, ...backUp]
  if (wanted.length > 0) await host.start(wanted)
}
