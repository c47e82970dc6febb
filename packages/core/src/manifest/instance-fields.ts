// How many processes a service runs and how calls are spread over them (node/instance.ts): `instances`, `balance`,
// `drainTimeoutMs`, `limits`, and on which hosts they run (`placement`, in a cluster on NATS).

import { Checker } from './checks.js'
import type { BalanceStrategy, Placement } from './types.js'

export interface InstanceFields {
  /** How many processes run the service (default 1). */
  instances: number
  /** How calls are spread over its running instances. */
  balance: BalanceStrategy
  /** How long an instance being replaced or scaled away may take to finish the calls it has. */
  drainTimeoutMs: number
  /** An instance whose process tree's RSS stays above `memoryMb` is replaced by a reload. */
  limits: { memoryMb: number | null }
  /** Where its instances run in a cluster on NATS; null: not given ('any'). */
  placement: Placement | null
}

const BALANCES: BalanceStrategy[] = ['least-inflight', 'round-robin']
const LIMIT_FIELDS = ['memoryMb']
/** More processes than this for one service is a typo, not a plan (manifest and scale() alike). */
export const MAX_INSTANCES = 1024

export function readInstanceFields(c: Checker, s: Record<string, unknown>, oneshot: boolean): InstanceFields {
  const instances = c.count(s.instances, 'instances', 1, 1, MAX_INSTANCES)
  if (oneshot && s.instances !== undefined && instances !== 1) c.fail('instances', 'does not apply to a one-shot: it runs once per start')
  let balance: BalanceStrategy = 'least-inflight'
  if (s.balance !== undefined) {
    if (BALANCES.includes(s.balance as BalanceStrategy)) balance = s.balance as BalanceStrategy
    else c.fail('balance', `must be ${BALANCES.map((b) => `'${b}'`).join(' or ')}, not ${JSON.stringify(s.balance)}`)
  }
  const limits = c.object(s.limits, 'limits', LIMIT_FIELDS, '{ memoryMb: 512 }')
  const memoryMb = limits?.memoryMb === undefined ? null : c.count(limits.memoryMb, 'limits.memoryMb', 0, 16, 1024 * 1024)
  if (oneshot && memoryMb !== null) c.fail('limits.memoryMb', 'does not apply to a one-shot: it is not reloaded')
  const placement = placementOf(c, s.placement)
  // A one-shot's dependents wait for it to have exited 0, which another host cannot be told after the fact: it runs
  // on each host that starts it, as 'every' (cluster/placed-container.ts).
  if (oneshot && placement !== null && placement !== 'every') c.fail('placement', "of a one-shot can only be 'every' (the default for one): it runs on each host that starts it")
  return { instances, balance, drainTimeoutMs: c.ms(s.drainTimeoutMs, 'drainTimeoutMs', 10_000), limits: { memoryMb }, placement }
}

const HOST_ID = /^[A-Za-z0-9_-]+$/

function placementOf(c: Checker, value: unknown): Placement | null {
  if (value === undefined) return null
  if (value === 'any' || value === 'every') return value
  const accepted = `'any' (one host at a time), 'every' (each host) or { hosts: ['a', 'b'] }`
  const pinned = c.object(value, 'placement', ['hosts'], accepted)
  if (!pinned) return null
  const hosts = pinned.hosts
  if (!Array.isArray(hosts) || hosts.length === 0 || !hosts.every((h) => typeof h === 'string' && HOST_ID.test(h))) {
    c.fail('placement.hosts', `must list host ids (letters, digits, '-' and '_'), got ${JSON.stringify(hosts)}`)
    return null
  }
  return { hosts: [...new Set(hosts as string[])] }
}
