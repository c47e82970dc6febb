// `svc up --metrics [host:]port`: where the manager serves /metrics. A bare port listens on 127.0.0.1 (the core's
// default); an IPv6 host is written in brackets, as in a URL: `[::1]:9464`.

import { InvalidArgumentError } from 'commander'

export interface MetricsAddress {
  port: number
  host?: string
}

export function metricsOption(value: string): MetricsAddress {
  const match = /^(?:(\[[0-9a-fA-F:.]+\]|[^:[\]]+):)?(\d+)$/.exec(value)
  const port = Number(match?.[2])
  if (!match || port > 65_535) {
    throw new InvalidArgumentError(`expected [host:]port, such as 9464 or 0.0.0.0:9464 (port 0: any free port), not "${value}".`)
  }
  const host = match[1]?.replace(/^\[(.*)\]$/, '$1')
  return host ? { port, host } : { port }
}

/** The option back as text, for the background manager's command line. */
export function metricsArgument({ port, host }: MetricsAddress): string {
  return host === undefined ? String(port) : `${host.includes(':') ? `[${host}]` : host}:${port}`
}
