// The services table shared by `ps`, `top`, `up --detach` and the lifecycle commands.

import type { ServiceSnapshot } from '@services-cluster/core'
import { out, stateColor } from './colors.js'
import { bytes, duration, percent } from './format.js'
import { table, type Column } from './table.js'

/** A command cut to this many characters in the table (`--json` has it whole). */
const COMMAND_CHARS = 48

export function servicesTable(services: ServiceSnapshot[], now = Date.now()): string {
  const columns: Column<ServiceSnapshot>[] = [
    { header: 'NAME', value: (s) => s.name },
    { header: 'STATE', value: stateText, style: (text, s) => stateColor(out, s.display)(text) },
    { header: 'PID', value: (s) => (s.pid === null ? '-' : String(s.pid)), align: 'right' },
    { header: 'UPTIME', value: (s) => (s.state === 'running' && s.startedAt ? duration(now - s.startedAt) : '-'), align: 'right' },
    { header: 'RESTARTS', value: (s) => String(s.restarts), align: 'right' },
    { header: 'CPU', value: (s) => (s.usage ? percent(s.usage.cpu) : '-'), align: 'right' },
    { header: 'MEM', value: (s) => (s.usage ? bytes(s.usage.rss) : '-'), align: 'right' },
    { header: 'DEPENDS ON', value: dependsOnText },
  ]
  // Only a graph with command services gets their columns: a Node-only graph reads as it always did.
  if (services.some((s) => s.kind === 'command')) {
    columns.push({ header: 'KIND', value: kindText }, { header: 'COMMAND', value: (s) => (s.command === null ? '-' : cut(s.command, COMMAND_CHARS)) })
  }
  return table(services, columns)
}

/** "starting · waiting for tcp 127.0.0.1:6390" while a start waits for its probe (or a one-shot for its exit). */
export function stateText(s: Pick<ServiceSnapshot, 'display' | 'waitingFor'>): string {
  return s.waitingFor ? `${s.display} · waiting for ${s.waitingFor}` : s.display
}

/** "redis,migrate(completed),web(started)": a condition is named when it is not the default 'ready'. */
export function dependsOnText(s: Pick<ServiceSnapshot, 'dependsOn' | 'conditions'>): string {
  if (s.dependsOn.length === 0) return '-'
  return s.dependsOn.map((d) => (s.conditions[d] && s.conditions[d] !== 'ready' ? `${d}(${s.conditions[d]})` : d)).join(',')
}

function kindText(s: Pick<ServiceSnapshot, 'kind' | 'oneshot'>): string {
  return s.oneshot ? 'oneshot' : s.kind
}

function cut(text: string, chars: number): string {
  return text.length <= chars ? text : `${text.slice(0, chars - 1)}…`
}
