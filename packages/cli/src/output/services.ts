// The services table shared by `ps`, `top`, `up --detach` and the lifecycle commands.

import type { InstanceSnapshot, ServiceSnapshot } from '@services-cluster/core'
import { hostsText, inFlightOf, instanceCount, instanceUptimeText, showsInstances } from '@services-cluster/dashboard/format'
import { out, stateColor } from './colors.js'
import { bytes, duration, percent } from './format.js'
import { table, type Column } from './table.js'

/** A command cut to this many characters in the table (`--json` has it whole). */
const COMMAND_CHARS = 48

/** A row of the table: a service, or (indented under it) one of its instances. */
interface Row {
  service: ServiceSnapshot
  instance: InstanceSnapshot | null
}

export function servicesTable(services: ServiceSnapshot[], now = Date.now()): string {
  const of = <T>(service: (s: ServiceSnapshot) => T, instance: (i: InstanceSnapshot) => T) => (r: Row) => (r.instance ? instance(r.instance) : service(r.service))
  const usage = (u: ServiceSnapshot['usage'], text: (u: NonNullable<ServiceSnapshot['usage']>) => string) => (u ? text(u) : '-')
  const columns: Column<Row>[] = [
    { header: 'NAME', value: of((s) => s.name, (i) => `  ${i.id}`) },
    {
      header: 'STATE',
      value: of((s) => (showsInstances(s) ? `${stateText(s)} ${instanceCount(s)}` : stateText(s)), (i) => i.state),
      style: (text, r) => stateColor(out, r.instance ? r.instance.state : r.service.display)(text),
    },
    { header: 'PID', value: of((s) => (s.pid === null || showsInstances(s) ? '-' : String(s.pid)), (i) => (i.pid === null ? '-' : String(i.pid))), align: 'right' },
    {
      header: 'UPTIME',
      value: of((s) => (s.state === 'running' && s.startedAt ? duration(now - s.startedAt) : '-'), (i) => instanceUptimeText(i, now)),
      align: 'right',
    },
    { header: 'RESTARTS', value: of((s) => String(s.restarts), (i) => String(i.restarts)), align: 'right' },
    { header: 'CPU', value: of((s) => usage(s.usage, (u) => percent(u.cpu)), (i) => usage(i.usage, (u) => percent(u.cpu))), align: 'right' },
    { header: 'MEM', value: of((s) => usage(s.usage, (u) => bytes(u.rss)), (i) => usage(i.usage, (u) => bytes(u.rss))), align: 'right' },
    { header: 'DEPENDS ON', value: of(dependsOnText, () => '') },
  ]
  // Only a graph with command services gets their columns: a Node-only graph reads as it always did.
  if (services.some((s) => s.kind === 'command')) {
    columns.push(
      { header: 'KIND', value: of(kindText, () => '') },
      { header: 'COMMAND', value: of((s) => (s.command === null ? '-' : cut(s.command, COMMAND_CHARS)), () => '') },
    )
  }
  // Likewise the calls in flight, only once some service runs several instances: what balancing looks at.
  const several = services.filter(showsInstances)
  if (several.length > 0) columns.splice(3, 0, { header: 'INFLIGHT', value: of((s) => String(inFlightOf(s)), (i) => String(i.inFlight)), align: 'right' })
  // And where each runs, once the graph spans several hosts (a cluster on NATS): the whole graph is seen from any host.
  const hosts = new Set(services.flatMap((s) => s.instances.map((i) => i.host)))
  if (hosts.size > 1) {
    columns.splice(2, 0, { header: 'HOST', value: of(hostsText, (i) => i.host) })
  }
  const rows = services.flatMap((service): Row[] => [
    { service, instance: null },
    ...(showsInstances(service) ? service.instances.map((instance) => ({ service, instance })) : []),
  ])
  return table(rows, columns)
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
