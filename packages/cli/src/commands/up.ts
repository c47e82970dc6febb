// `svc up [services…]`: foreground (progress, then multiplexed logs) or --detach (background, returns when running).

import { Option, type Command } from 'commander'
import { cliError, EXIT, shortPath } from '../errors.js'
import { loadManifest } from '../manifest/load.js'
import { out } from '../output/colors.js'
import { setBrokenPipe } from '../output/pipe.js'
import { servicesTable } from '../output/services.js'
import { dashboardLine, portOption } from '../dashboard/serve.js'
import { startDetached, type DaemonMessage } from '../runtime/daemon.js'
import { metricsOption, type MetricsAddress } from '../runtime/metrics-address.js'
import { runManager } from '../runtime/run-manager.js'
import { parseReadyFd } from '../supervisor/ready-fd.js'
import { openReadiness } from '../supervisor/readiness.js'
import { action, optionsOf, report } from './action.js'

interface UpOptions {
  detach?: boolean
  foregroundDaemon?: boolean
  /** `--ui` alone is true: any free port. */
  ui?: number | true
  watch?: boolean
  metrics?: MetricsAddress
  readyFd?: number
  host?: string
}

export function registerUp(program: Command): void {
  program
    .command('up')
    .description('start the services (and their dependencies) in dependency order; Ctrl-C closes them in reverse order')
    .argument('[services...]', 'only these services and what they depend on (default: all)')
    .option('-d, --detach', 'run the manager in the background; return once everything runs (or failed)')
    .option('--ui [port]', 'serve the live dashboard on 127.0.0.1 (default: any free port); the printed URL carries its token', portOption)
    .option('-w, --watch', "restart a service when a file under its entry's directory changes (and its dependents with it)")
    .option('--metrics <[host:]port>', 'serve the metrics of every service for Prometheus at http://host:port/metrics (host 127.0.0.1 unless given; port 0: any free port); overrides the manifest\'s metrics', metricsOption)
    .option('--host <id>', "in a cluster on NATS (the manifest's cluster.nats): the id this host goes by (default: SVC_HOST, else the machine's hostname up to its first '.')")
    .option('--json', 'with --detach: print the result as JSON')
    .option('--ready-fd <n>', 'write "READY=1" to this file descriptor once everything runs, then close it (for s6, dinit, scripts; systemd needs nothing: NOTIFY_SOCKET)', parseReadyFd)
    .addOption(new Option('--foreground-daemon', 'internal: the background manager of --detach').hideHelp())
    .action(
      action(async (services: string[], _opts: UpOptions, command: Command) => {
        const opts = optionsOf<UpOptions>(command)
        // Through the environment, so that a --detach daemon has it too (and every service can read it).
        if (opts.host !== undefined) process.env.SVC_HOST = opts.host
        const ui = opts.ui === undefined ? undefined : opts.ui === true ? 0 : opts.ui
        const watch = opts.watch === true
        if (opts.foregroundDaemon) return daemon(opts.config, services, ui, watch, opts.metrics)
        if (opts.detach && opts.readyFd !== undefined) {
          throw cliError('SVC_ERR_CLI_USAGE', '--ready-fd is for `svc up` in the foreground: with --detach, `svc up` itself returns once everything runs.', {
            hint: 'Drop --detach (a supervisor keeps `svc up` in the foreground), or drop --ready-fd and wait for `svc up --detach` to exit.',
          })
        }
        const loaded = await loadManifest({ config: opts.config })
        if (!opts.detach) {
          setBrokenPipe(() => {}) // `svc up | head`: keep running, stop printing
          const dashboard = ui === undefined ? undefined : { port: ui, onListening: (url: string) => process.stderr.write(dashboardLine(url) + '\n') }
          const readiness = (await openReadiness({ readyFd: opts.readyFd })) ?? undefined
          try {
            return await runManager({ loaded, services, dashboard, watch, metrics: opts.metrics, readiness })
          } finally {
            readiness?.close()
          }
        }
        const started = await startDetached(loaded, services, { ui, watch, metrics: opts.metrics })
        if (opts.json) {
          const result = {
            pid: started.info.pid,
            socket: started.info.socketPath,
            log: started.log,
            services: started.services,
            ...(started.dashboard ? { dashboard: started.dashboard } : {}),
            ...(started.metrics ? { metrics: started.metrics } : {}),
          }
          process.stdout.write(JSON.stringify(result) + '\n')
          return EXIT.ok
        }
        process.stdout.write(servicesTable(started.services) + '\n')
        process.stderr.write(
          `${out.green('✔')} manager running in the background (pid ${started.info.pid}, socket ${shortPath(started.info.socketPath)}).\n` +
            (started.dashboard ? `  dashboard: ${started.dashboard}\n` : '') +
            (started.metrics ? `  metrics: ${started.metrics}\n` : '') +
            `  logs: svc logs -f    status: svc ps    stop: svc down\n`,
        )
        return EXIT.ok
      }),
    )
}

// The process behind --detach: reports ready/failed to its parent over IPC, then runs until `svc down` or a signal.
// With --ui, the URL goes to the parent only: the token is never written to the daemon's log.
async function daemon(config: string | undefined, services: string[], ui: number | undefined, watch: boolean, metrics: MetricsAddress | undefined): Promise<number> {
  const tell = (message: DaemonMessage) => {
    if (!process.send || !process.connected) return
    process.send(message, () => process.connected && process.disconnect())
  }
  try {
    const loaded = await loadManifest({ config })
    let dashboard: string | undefined
    return await runManager({
      loaded,
      services,
      watch,
      dashboard: ui === undefined ? undefined : { port: ui, onListening: (url) => (dashboard = url) },
      metrics,
      onReady: (info, snapshots, metricsUrl) =>
        tell({ type: 'ready', info, services: snapshots, ...(dashboard ? { dashboard } : {}), ...(metricsUrl ? { metrics: metricsUrl } : {}) }),
      onStartFailed: (error) => {
        const e = error as Error & { code?: string; details?: { location?: unknown } }
        const location = typeof e.details?.location === 'string' ? { location: shortPath(e.details.location) } : {}
        tell({ type: 'failed', error: { code: e.code ?? 'SVC_ERR_CLI_START_FAILED', message: e.message, ...location, exitCode: EXIT.failure } })
      },
    })
  } catch (error) {
    const code = report(error, false)
    const e = error as Error & { code?: string; displayCode?: string; hint?: string }
    tell({ type: 'failed', error: { code: e.displayCode ?? e.code ?? 'SVC_ERR_CLI_DAEMON', message: e.message, hint: e.hint, exitCode: code } })
    return code
  }
}
