// `name | line`: service names padded to one width and coloured per service, stderr lines marked.

import type { LogLine } from '@services-cluster/core'
import { out, serviceColor } from './colors.js'

export function logFormatter(names: string[], options: { timestamps?: boolean } = {}): (line: LogLine) => string {
  const width = Math.max(0, ...names.map((n) => n.length))
  const colorOf = new Map(names.map((n, i) => [n, serviceColor(out, i)]))
  return (line) => {
    const color = colorOf.get(line.service) ?? ((t: string) => t)
    const time = options.timestamps ? out.dim(new Date(line.at).toISOString()) + ' ' : ''
    const text = line.stream === 'stderr' ? out.red(line.line) : line.line
    return `${time}${color(`${line.service.padEnd(width)} |`)} ${text}`
  }
}
