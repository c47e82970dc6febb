// `name | line`: service names padded to one width and coloured per service, stderr lines marked. A service's
// text goes out with its control characters spelled (escapeControl), so only our own colours reach the terminal.

import type { LogLine } from '@services-cluster/core'
import { escapeControl } from '@services-cluster/dashboard/format'
import { out, serviceColor } from './colors.js'

export { escapeControl }

export function logFormatter(names: string[], options: { timestamps?: boolean } = {}): (line: LogLine) => string {
  const width = Math.max(0, ...names.map((n) => n.length))
  const colorOf = new Map(names.map((n, i) => [n, serviceColor(out, i)]))
  return (line) => {
    const color = colorOf.get(line.service) ?? ((t: string) => t)
    const time = options.timestamps ? out.dim(new Date(line.at).toISOString()) + ' ' : ''
    const text = escapeControl(line.line)
    return `${time}${color(`${escapeControl(line.service).padEnd(width)} |`)} ${line.stream === 'stderr' ? out.red(text) : text}`
  }
}

/** One JSON object per line. JSON already escapes C0 controls; C1 controls (U+0080–U+009F) are escaped too. */
export function logJson(line: LogLine): string {
  return JSON.stringify(line).replace(/[\u007f-\u009f]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`)
}
