// The services table shared by `ps`, `top`, `up --detach` and the lifecycle commands.

import type { ServiceSnapshot } from '@services-cluster/core'
import { out, stateColor } from './colors.js'
import { bytes, duration, percent } from './format.js'
import { table } from './table.js'

export function servicesTable(services: ServiceSnapshot[], now = Date.now()): string {
  return table(services, [
    { header: 'NAME', value: (s) => s.name },
    { header: 'STATE', value: (s) => s.display, style: (text, s) => stateColor(out, s.display)(text) },
    { header: 'PID', value: (s) => (s.pid === null ? '-' : String(s.pid)), align: 'right' },
    { header: 'UPTIME', value: (s) => (s.state === 'running' && s.startedAt ? duration(now - s.startedAt) : '-'), align: 'right' },
    { header: 'RESTARTS', value: (s) => String(s.restarts), align: 'right' },
    { header: 'CPU', value: (s) => (s.usage ? percent(s.usage.cpu) : '-'), align: 'right' },
    { header: 'MEM', value: (s) => (s.usage ? bytes(s.usage.rss) : '-'), align: 'right' },
    { header: 'DEPENDS ON', value: (s) => (s.dependsOn.length ? s.dependsOn.join(',') : '-') },
  ])
}
