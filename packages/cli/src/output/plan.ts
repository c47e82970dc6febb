// How `svc apply` shows a plan, as `terraform plan` does: + added, - removed, ~ changed (with its fields), and the
// dependents restarted with a changed service.

import type { ApplyPlan } from '@services-cluster/core'
import type { Colors } from './colors.js'

export function planLines(plan: ApplyPlan, colors: Colors): string[] {
  const lines = [
    ...plan.add.map((s) => colors.green(`  + ${s}`)),
    ...plan.remove.map((s) => colors.red(`  - ${s}`)),
    ...plan.change.map((c) => colors.yellow(`  ~ ${c.service}`) + colors.dim(`  (${c.fields.join(', ')})`)),
    ...plan.restart.map((r) => colors.yellow(`  ↻ ${r.service}`) + colors.dim(`  (restarts: depends on ${r.because.map((b) => `"${b}"`).join(', ')})`)),
  ]
  const counts = `${plan.add.length} to add, ${plan.change.length} to change, ${plan.remove.length} to remove`
  const restarts = plan.restart.length ? `, ${plan.restart.length} dependent${plan.restart.length === 1 ? '' : 's'} to restart` : ''
  const kept = plan.unchanged.length ? `; ${plan.unchanged.length} unchanged (${plan.unchanged.join(', ')})` : ''
  return [...lines, `Plan: ${counts}${restarts}${kept}.`]
}
