// Small value formatters shared by ps, top and up: the dashboard's, so both read alike.

import { bytes as dashboardBytes } from '@services-cluster/dashboard/format'

export { duration, percent } from '@services-cluster/dashboard/format'

export function bytes(n: number): string {
  return dashboardBytes(n, '')
}

/** JSON for people on a TTY (indented), one line otherwise (pipe-friendly). */
export function json(value: unknown, pretty = process.stdout.isTTY === true): string {
  return JSON.stringify(value === undefined ? null : value, null, pretty ? 2 : undefined)
}
