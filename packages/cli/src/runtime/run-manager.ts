// Runs a manager in this process (`svc up` in the foreground, or the background daemon of `svc up --detach`):
// control socket, start in dependency order, report, and close in reverse order on a signal, `svc down` or a fatal failure.

import { ServicesManager, serializeError, type ServiceSnapshot } from '@services-cluster/core'
import { managerSource, type Dashboard } from '@services-cluster/dashboard'
import { startControlServer, type ControlServer } from '../control/server.js'
import { serveDashboard } from '../dashboard/serve.js'
import type { ManagerInfo } from '../control/protocol.js'
import { cliError, EXIT, shortPath } from '../errors.js'
import { manifestFailure } from '../manifest/problems.js'
import type { LoadedManifest } from '../manifest/load.js'
import { err } from '../output/colors.js'
import type { MetricsAddress } from './metrics-address.js'
import type { Readiness } from '../supervisor/readiness.js'
import { attachReporter, type Reporter } from './reporter.js'

export interface RunOptions {
  loaded: LoadedManifest
  /** Services to start (their dependencies too); empty: all. */
  services: string[]
  /** All services run: the daemon tells `svc up --detach` here (and where /metrics is served, if it is). */
  onReady?(info: ManagerInfo, services: ServiceSnapshot[], metricsUrl: string | null): void
  /** Start-up failed; the manager is closing everything and will exit non-zero. */
  onStartFailed?(error: Error): void
  /** Serve the live dashboard (`--ui`) from this process, before the services start so their start-up shows. */
  dashboard?: { port: number; onListening(url: string): void }
  /** `--watch`: every Node service restarts when a file under its entry's directory changes. */
  watch?: boolean
  /** `--metrics [host:]port`: serve /metrics there, whatever the manifest says. */
  metrics?: MetricsAddress
  /** The supervisor above `svc up` (systemd's NOTIFY_SOCKET, --ready-fd): told ready, then stopping. */
  readiness?: Readiness
}

/** Resolves with the exit code once every service is closed and the socket is gone. */
export async function runManager(options: RunOptions): Promise<number> {
  const { loaded } = options
  let manager: ServicesManager
  try {
    manager = new ServicesManager(loaded.manifest, { cwd: loaded.cwd, watch: options.watch, ...(options.metrics ? { metrics: options.metrics } : {}) })
  } catch (error) {
    throw manifestFailure(error, loaded.file)
  }
  for (const name of options.services) {
    if (!manager.manifest.graph.has(name)) {
      throw cliError('SVC_ERR_CLI_USAGE', `There is no service "${name}" in ${loaded.file}.`, {
        hint: `Known services: ${manager.manifest.graph.names.join(', ')}.`,
      })
    }
  }

  let finish!: (code: number) => void
  const finished = new Promise<number>((resolve) => (finish = resolve))
  let closing: Promise<string[]> | null = null
  let exitCode: number = EXIT.ok
  /** `cluster`: every host's part (`svc down`); else this host's (a signal, a fatal error, `svc down --host`). */
  const closeAll = (code: number, cluster = false): Promise<string[]> => {
    exitCode = Math.max(exitCode, code)
    if (!closing) options.readiness?.stopping()
    closing ??= closeInOrder(manager, cluster).finally(() => finish(exitCode))
    return closing
  }

  let reporter: Reporter | null = null
  const server: ControlServer = await startControlServer({
    manager,
    configFile: loaded.file,
    down: (host) => closeAll(EXIT.ok, host === undefined),
    onClientDropped: (reason) => reporter?.status(`svc: ${reason}`),
  })
  let dashboard: Dashboard | null = null
  if (options.dashboard) {
    try {
      dashboard = await serveDashboard(managerSource(manager), options.dashboard.port, (reason) => reporter?.status(`svc: ${reason}`))
    } catch (error) {
      await server.close('the dashboard could not start')
      throw error
    }
    options.dashboard.onListening(dashboard.url)
  }
  reporter = attachReporter(manager, options.services.length ? options.services : manager.manifest.graph.names)
  manager.on('metrics', ({ url }) => reporter?.status(`svc: metrics ${url}`))

  let signals = 0
  const onSignal = (signal: NodeJS.Signals) => {
    signals++
    if (signals === 1) {
      reporter.status(`svc: ${signal}: closing services in reverse order (${signal === 'SIGINT' ? 'Ctrl-C' : 'signal'} again to force)`)
      void closeAll(EXIT.ok)
      return
    }
    reporter.status(err.red(`svc: ${signal} again: killing every service`))
    for (const name of manager.manifest.graph.names) {
      try {
        manager.kill(name, 'SIGKILL')
      } catch {
        // not running
      }
    }
    exitCode = EXIT.interrupted
    finish(EXIT.interrupted)
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  manager.on('fatal', () => void closeAll(EXIT.failure))
  // Another host's `svc down` closes the whole cluster: this host's manager is closing, and `svc up` ends with it.
  manager.on('clusterDown', ({ host }) => {
    reporter.status(`svc: host "${host}" closes the whole cluster`)
    void closeAll(EXIT.ok)
  })

  void (async () => {
    try {
      await manager.start(options.services.length ? options.services : undefined)
      if (closing) return // a signal or `svc down` arrived during start-up
      reporter.started()
      const running = manager.services()
      const count = running.filter((s) => s.state === 'running').length
      reporter.status(`svc: ${count} ${count === 1 ? 'service' : 'services'} running; control socket ${server.socketPath}`)
      options.onReady?.(server.info, running, manager.metricsUrl)
      options.readiness?.ready(manager, [...manager.manifest.graph.withDependencies(options.services.length ? options.services : manager.manifest.graph.names)])
    } catch (error) {
      if (closing && !manager.fatalError) return
      reporter.started()
      const e = error as Error & { code?: string; service?: string; details?: { location?: unknown } }
      reporter.status(err.red(`error ${e.code ?? 'SVC_ERR_CLI_START_FAILED'}: ${e.message}`))
      if (typeof e.details?.location === 'string') reporter.status(`  ${err.dim('at')} ${shortPath(e.details.location, manager.manifest.cwd)}`)
      reporter.status(`  ${err.dim('hint:')} ${startFailedHint(manager, e.service)}`)
      options.onStartFailed?.(error as Error)
      void closeAll(EXIT.failure)
    }
  })()

  const code = await finished
  process.off('SIGINT', onSignal)
  process.off('SIGTERM', onSignal)
  // Let the answer to `svc down` leave before the connections are ended.
  await new Promise((resolve) => setImmediate(resolve))
  await dashboard?.close(code === EXIT.ok ? 'the manager closed' : 'the manager failed')
  await server.close(code === EXIT.ok ? 'manager closed' : 'manager failed')
  reporter.detach()
  return code
}

async function closeInOrder(manager: ServicesManager, cluster: boolean): Promise<string[]> {
  const order: string[] = []
  const onState = (c: { service: string; to: string }) => {
    if (c.to === 'closed') order.push(c.service)
  }
  manager.on('state', onState)
  try {
    await manager.close(undefined, { cluster })
  } catch (error) {
    process.stderr.write(`svc: closing failed: ${serializeError(error).message}\n`)
  } finally {
    manager.off('state', onState)
  }
  return order
}

// Say where to look only if there is something there: a service that failed silently has no output above.
function startFailedHint(manager: ServicesManager, service: string | undefined): string {
  const again = 'fix the problem and run `svc up` again.'
  if (!service || !manager.manifest.graph.names.includes(service)) return again[0]!.toUpperCase() + again.slice(1)
  const said = manager.logs(service).length > 0
  return said ? `the output of "${service}" (its stack, if it threw) is above; ${again}` : `"${service}" wrote nothing before it failed; ${again}`
}
