// How figures and states read on the page. Pure functions: the unit tests import them directly, and the CLI takes
// duration/bytes/percent from here too (`@services-cluster/dashboard/format`), so a figure reads the same in `svc ps`
// and on the page. This module is served to the browser unbundled: it may import only what the dashboard serves.

import type { DisplayState, ExitInfo, InstanceSnapshot, ServiceView } from '../protocol.js'

/** The colour of a service: a crashed service stays red while the supervisor brings it back. */
export type Tone = 'running' | 'busy' | 'crashed' | 'failed' | 'stopped' | 'pending'

const CRASH_REASONS: ReadonlySet<ExitInfo['reason']> = new Set(['crashed', 'start-failed', 'unhealthy', 'lost-channel'])

export function crashedLastTime(service: Pick<ServiceView, 'lastExit'>): boolean {
  return service.lastExit !== null && CRASH_REASONS.has(service.lastExit.reason)
}

export function toneOf(service: Pick<ServiceView, 'display' | 'lastExit'>): Tone {
  switch (service.display) {
    case 'running':
    case 'completed':
      return 'running'
    case 'starting':
    case 'closing':
      return 'busy'
    case 'restarting':
      return crashedLastTime(service) ? 'crashed' : 'busy'
    case 'crashed':
      return 'crashed'
    case 'failed':
      return 'failed'
    case 'pending':
      return 'pending'
    case 'stopped':
    case 'closed':
      return 'stopped'
    default: {
      const unknown: never = service.display
      return unknown
    }
  }
}

/** The state as a word or two: the manager's display state, saying so when a restart follows a crash. */
export function stateLabel(service: Pick<ServiceView, 'display' | 'lastExit'>): string {
  return service.display === 'restarting' && crashedLastTime(service) ? 'crashed · restarting' : service.display
}

/** The state cell: "starting · waiting for tcp 127.0.0.1:6390" while a start waits for its readiness probe. */
export function stateText(service: Pick<ServiceView, 'display' | 'lastExit' | 'waitingFor'>): string {
  const label = stateLabel(service)
  return service.waitingFor ? `${label} · waiting for ${service.waitingFor}` : label
}

/** "db, migrate (completed), web (started)": a condition is named when it is not the default 'ready'. */
export function dependsOnText(service: Pick<ServiceView, 'dependsOn' | 'conditions'>): string {
  const named = service.dependsOn.map((d) => {
    const condition = service.conditions?.[d]
    return condition && condition !== 'ready' ? `${d} (${condition})` : d
  })
  return named.join(', ') || '-'
}

/** Where a service's live instances run: "a" or "a,b" (a graph across hosts), '-' when none runs. */
export function hostsText(service: { instances: readonly Pick<InstanceSnapshot, 'state' | 'host'>[] }): string {
  return [...new Set(service.instances.filter((i) => i.state !== 'closed').map((i) => i.host))].join(',') || '-'
}

/** What the instance figures read of a service. */
interface Instances {
  instances: readonly Pick<InstanceSnapshot, 'state' | 'inFlight'>[]
  desiredInstances: number
}

/** A service shows its instances (a count, a row each) when it has several, or was asked for other than one. */
export function showsInstances(service: Instances): boolean {
  return service.instances.length > 1 || service.desiredInstances !== 1
}

/** "2/3": instances running of those wanted (a draining or starting one is not running). */
export function instanceCount(service: Instances): string {
  return `${service.instances.filter((i) => i.state === 'running').length}/${service.desiredInstances}`
}

/** Calls in flight over all its instances. */
export function inFlightOf(service: Pick<Instances, 'instances'>): number {
  return service.instances.reduce((sum, i) => sum + i.inFlight, 0)
}

/** The count on a service's box: "×3" when every instance it wants runs, "2/3 ready" otherwise; "" for one instance. */
export function instanceBadge(service: Instances): string {
  if (!showsInstances(service)) return ''
  const running = service.instances.filter((i) => i.state === 'running').length
  return running === service.desiredInstances ? `×${running}` : `${running}/${service.desiredInstances} ready`
}

/** An instance row's state cell: "running · 2 in flight" while it has calls. */
export function instanceStateText(instance: Pick<InstanceSnapshot, 'state' | 'inFlight'>): string {
  return instance.inFlight > 0 ? `${instance.state} · ${instance.inFlight} in flight` : instance.state
}

export function instanceUptimeText(instance: Pick<InstanceSnapshot, 'state' | 'startedAt'>, now: number): string {
  return instance.state === 'running' && instance.startedAt !== null ? duration(now - instance.startedAt) : '-'
}

/** The corner tag of a box: "cmd" for a command service, "once" for a one-shot, nothing for a Node service. */
export function kindTag(service: Pick<ServiceView, 'kind' | 'oneshot'>): string {
  return service.oneshot ? 'once' : service.kind === 'command' ? 'cmd' : ''
}

// The order the header counts states in: the words are the table's (display states), so the two always agree.
const SUMMARY_ORDER: readonly DisplayState[] = ['running', 'completed', 'starting', 'pending', 'restarting', 'closing', 'crashed', 'failed', 'stopped', 'closed']

/** "7 services · 5 running · 1 crashed · 1 closed": the header's count of each display state the table shows. */
export function summaryText(services: Iterable<Pick<ServiceView, 'display'>>): string {
  const counts = new Map<DisplayState, number>()
  let total = 0
  for (const s of services) {
    total++
    counts.set(s.display, (counts.get(s.display) ?? 0) + 1)
  }
  const parts = SUMMARY_ORDER.filter((state) => counts.has(state)).map((state) => `${counts.get(state)} ${state}`)
  return [`${total} ${total === 1 ? 'service' : 'services'}`, ...parts].join(' · ')
}

export function duration(ms: number): string {
  if (ms < 1_000) return `${Math.max(0, Math.round(ms))}ms`
  const s = Math.floor(ms / 1_000)
  if (s < 60) return `${s}s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`
  const h = Math.floor(m / 60)
  if (h < 24) return `${h}h${String(m % 60).padStart(2, '0')}m`
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, '0')}h`
}

/** "1.5 MB"; the terminal writes "1.5MB" (separator ''). */
export function bytes(n: number, separator = ' '): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB']
  let value = n
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${value < 10 && unit > 0 ? value.toFixed(1) : Math.round(value)}${separator}${units[unit]}`
}

export function percent(n: number): string {
  return `${n.toFixed(1)}%`
}

export function clock(at: number): string {
  const d = new Date(at)
  const two = (n: number) => String(n).padStart(2, '0')
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`
}

/** "crashed · SIGKILL · 12:03:04", "closed · code 0 · 12:01:00", or "-" before the first exit. */
export function lastExitText(exit: ExitInfo | null): string {
  if (!exit) return '-'
  const how = exit.signal ?? (exit.code === null ? null : `code ${exit.code}`)
  return [exit.reason, how, clock(exit.at)].filter((part) => part !== null).join(' · ')
}

// The framework's frames (its runner, jiti's import, Node's internals) are not where a service's bug is.
const FRAMEWORK_FRAME = /runner\.bundle\.cjs|[\\/]jiti[\\/]|[\\/]core[\\/]dist[\\/]remote[\\/]|node:internal[\\/]/

/** "Error: boom in factory (services/db.ts:3:9)": the error of the last exit, and where it was thrown from its stack. */
export function exitErrorText(error: NonNullable<ExitInfo['error']>): string {
  const frame = (error.stack ?? '').split('\n').find((line) => /^\s+at /.test(line) && !FRAMEWORK_FRAME.test(line))
  const place = frame && /\(?(?:file:\/\/)?([^\s()]+:\d+:\d+)\)?\s*$/.exec(frame)?.[1]
  return `${error.name}: ${error.message}${place ? ` (${place})` : ''}`
}

export function uptimeText(service: Pick<ServiceView, 'state' | 'startedAt'>, now: number): string {
  return service.state === 'running' && service.startedAt !== null ? duration(now - service.startedAt) : '-'
}

// C0 controls but TAB, DEL, and the C1 controls: what a terminal acts on (CR, ESC and CSI sequences, OSC, BEL)
// instead of printing. A service's output goes out with them spelled, so it cannot rewrite another service's line.
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/
const CONTROLS = new RegExp(CONTROL.source, 'g')

/** Spells every control character: CR as `\r`, LF as `\n`, ESC as `\x1b`, CSI (U+009B) as `\u009b`. TAB stays. */
export function escapeControl(text: string): string {
  return CONTROL.test(text) ? text.replace(CONTROLS, spell) : text
}

function spell(c: string): string {
  if (c === '\r') return '\\r'
  if (c === '\n') return '\\n'
  const code = c.charCodeAt(0)
  const hex = code.toString(16).padStart(2, '0')
  return code < 0x80 ? `\\x${hex}` : `\\u00${hex}`
}
