// `listen`: a TCP port the manager holds for the service and shares with every process of it (container/listen-socket.ts).

import { isIP } from 'node:net'
import { Checker, describe } from './checks.js'

export interface ResolvedListen {
  /** 0: the kernel picks a free port, once; the service keeps it across restarts (manager.service(name).listen). */
  port: number
  host: string
}

export const DEFAULT_LISTEN_HOST = '0.0.0.0'
const LISTEN_FIELDS = ['port', 'host']

export function readListen(c: Checker, value: unknown): ResolvedListen | null {
  if (value === undefined) return null
  const accepted = 'a port such as 8080, or { port: 8080, host: "127.0.0.1" }'
  if (typeof value === 'number') return { port: portOf(c, value, 'listen'), host: DEFAULT_LISTEN_HOST }
  const l = c.object(value, 'listen', LISTEN_FIELDS, accepted)
  if (!l) return null
  if (l.port === undefined) c.fail('listen.port', `is missing: listen needs ${accepted} (0 takes any free port)`)
  const port = portOf(c, l.port, 'listen.port')
  let host = DEFAULT_LISTEN_HOST
  if (typeof l.host === 'string' && isIP(l.host) !== 0) host = l.host
  else if (l.host !== undefined) c.fail('listen.host', `must be an IP address such as "0.0.0.0", "127.0.0.1" or "::" (not a host name), not ${describe(l.host)}`)
  return { port, host }
}

function portOf(c: Checker, value: unknown, field: string): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 65_535) return value
  if (value !== undefined) c.fail(field, `must be a whole port from 0 to 65535 (0: any free port), not ${describe(value)}`)
  return 0
}
