// The systemd unit `svc export systemd` writes: `svc up` as a Type=notify service that systemd stops with one SIGTERM
// to the manager, which then closes the services itself, dependents first.

import type { ResolvedManifest, ResolvedService } from '@services-cluster/core'
import { environment, execLine, literal } from './unit-syntax.js'

export interface UnitFacts {
  /** The unit's file name: `svc-shop.service`. */
  name: string
  /** A user unit (`systemctl --user`), else a system unit. */
  user: boolean
  /** The node binary, the svc binary's script, and the manifest: absolute paths. */
  node: string
  bin: string
  manifest: string
  /** The project directory, where `svc up` runs. */
  cwd: string
  /** User= of a system unit: who runs `svc export` (null for root, systemd's default). */
  runAs: string | null
  /** PATH for the services: a system unit's is short, and a command service may need node or the project's tools. */
  path: string
  startTimeoutSec: number
  stopTimeoutSec: number
  watchdogSec: number
}

/** Extra time on top of the services' own timeouts, for the manager itself (loading the manifest, its sockets). */
const MARGIN_SEC = 15

/**
 * The longest the graph may take to start or to close, each service after the other: the sum of its services'
 * startTimeoutMs, and of their stopTimeoutMs + killTimeoutMs (closing asks, then kills), plus a margin.
 */
export function graphTimeouts(resolved: ResolvedManifest): { startSec: number; stopSec: number } {
  const sum = (pick: (s: ResolvedService) => number) => resolved.services.reduce((total, s) => total + pick(s), 0)
  return {
    startSec: Math.ceil(sum((s) => s.startTimeoutMs) / 1000) + MARGIN_SEC,
    stopSec: Math.ceil(sum((s) => s.stopTimeoutMs + s.killTimeoutMs) / 1000) + MARGIN_SEC,
  }
}

export function systemdUnit(f: UnitFacts): string {
  const lines = [
    `# ${f.name}: starts the services-cluster graph of ${f.manifest} at boot.`,
    '# Written by `svc export systemd`; write it again after moving the project or changing Node.',
    '',
    '[Unit]',
    `Description=${literal(`services-cluster graph in ${f.cwd}`)}`,
    // A user manager has no network-online.target.
    ...(f.user ? [] : ['Wants=network-online.target', 'After=network-online.target']),
    '',
    '[Service]',
    // `svc up` sends READY=1 once every service runs, STOPPING=1 when it closes, WATCHDOG=1 every WatchdogSec/2.
    'Type=notify',
    'NotifyAccess=main',
    `ExecStart=${execLine([f.node, f.bin, 'up', '-c', f.manifest])}`,
    `WorkingDirectory=${literal(f.cwd)}`,
    ...(f.runAs && !f.user ? [`User=${literal(f.runAs)}`] : []),
    `Environment=${environment('PATH', f.path)}`,
    `SyslogIdentifier=${literal(f.name.replace(/\.service$/, ''))}`,
    // SIGTERM goes to `svc up` alone, which closes the services in reverse dependency order; whatever is still
    // running after TimeoutStopSec is killed (SIGKILL to the whole cgroup). No ExecStop: the signal is the stop.
    'KillMode=mixed',
    'KillSignal=SIGTERM',
    `TimeoutStartSec=${f.startTimeoutSec}`,
    `TimeoutStopSec=${f.stopTimeoutSec}`,
    `WatchdogSec=${f.watchdogSec}`,
    'Restart=on-failure',
    'RestartSec=2',
    // Exit 2 is a manifest or usage error: starting again cannot fix it.
    'RestartPreventExitStatus=2',
    '',
    '[Install]',
    `WantedBy=${f.user ? 'default.target' : 'multi-user.target'}`,
  ]
  return lines.join('\n') + '\n'
}
