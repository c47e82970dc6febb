// `svc up --detach`: the parent spawns a detached manager and waits for it to say "ready" or "failed" over IPC.

import type { ServiceSnapshot } from '@services-cluster/core'
import { spawn } from 'node:child_process'
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { socketAnswers, readLockPid } from '../control/lock.js'
import { statePaths } from '../control/paths.js'
import type { ManagerInfo } from '../control/protocol.js'
import { CliError, cliError, type CliErrorCode } from '../errors.js'
import type { LoadedManifest } from '../manifest/load.js'
import { metricsArgument, type MetricsAddress } from './metrics-address.js'

const BIN = fileURLToPath(new URL('../bin.js', import.meta.url))

/** Sent by the daemon once, then it disconnects. */
export type DaemonMessage =
  | { type: 'ready'; info: ManagerInfo; services: ServiceSnapshot[]; dashboard?: string; metrics?: string }
  | { type: 'failed'; error: { code: string; message: string; hint?: string; location?: string; exitCode: number } }

export interface Detached {
  info: ManagerInfo
  services: ServiceSnapshot[]
  log: string
  /** The dashboard's URL (with its token), when started with --ui. */
  dashboard?: string
  /** Where /metrics is served, when on (--metrics or the manifest's metrics). */
  metrics?: string
}

export interface DetachOptions {
  /** Serve the dashboard from the background manager on this port (0: any free port). */
  ui?: number
  /** `svc up --watch` in the background manager. */
  watch?: boolean
  /** Serve /metrics there (--metrics), overriding the manifest's. */
  metrics?: MetricsAddress
  timeoutMs?: number
}

export async function startDetached(loaded: LoadedManifest, services: string[], options: DetachOptions = {}): Promise<Detached> {
  const timeoutMs = options.timeoutMs ?? 120_000
  const paths = statePaths(loaded.resolved.stateDir)
  if (await socketAnswers(paths.socket)) {
    const pid = readLockPid(paths)
    throw cliError('SVC_ERR_CLI_ALREADY_RUNNING', `A manager is already running for ${loaded.cwd}${pid ? ` (pid ${pid})` : ''}, with its control socket at ${paths.socket}.`, {
      hint: 'Use `svc ps` to see it, or `svc down` to stop it first.',
    })
  }
  mkdirSync(paths.privateDir, { recursive: true, mode: 0o700 })
  const logFd = openSync(paths.daemonLog, 'a', 0o600)
  const env = { ...process.env }
  delete env.FORCE_COLOR
  const ui = options.ui === undefined ? [] : [`--ui=${options.ui}`]
  const watch = options.watch ? ['--watch'] : []
  const metrics = options.metrics === undefined ? [] : [`--metrics=${metricsArgument(options.metrics)}`]
  const child = spawn(process.execPath, [BIN, 'up', '--foreground-daemon', '--config', loaded.file, ...ui, ...watch, ...metrics, ...services], {
    cwd: loaded.cwd,
    detached: true, // its own session: closing this terminal does not signal it
    stdio: ['ignore', logFd, logFd, 'ipc'],
    env,
  })
  closeSync(logFd)
  const tail = () => lastLines(paths.daemonLog, 15)

  // Fail fast: the daemon can die before it ever reports back.
  const message = await new Promise<DaemonMessage>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup()
      reject(cliError('SVC_ERR_CLI_DAEMON', `The background manager did not report within ${timeoutMs} ms (pid ${child.pid}).`, { hint: `See ${paths.daemonLog}.` }))
    }, timeoutMs)
    const onMessage = (m: DaemonMessage) => {
      cleanup()
      resolve(m)
    }
    const onExit = (code: number | null, signal: string | null) => {
      cleanup()
      reject(cliError('SVC_ERR_CLI_DAEMON', `The background manager exited (${signal ?? `code ${code}`}) before it was ready.${tail()}`, { hint: `See ${paths.daemonLog}.` }))
    }
    const onError = (error: Error) => {
      cleanup()
      reject(cliError('SVC_ERR_CLI_DAEMON', `Could not start the background manager: ${error.message}`, { cause: error }))
    }
    const cleanup = () => {
      clearTimeout(timer)
      child.off('message', onMessage)
      child.off('exit', onExit)
      child.off('error', onError)
    }
    child.on('message', onMessage)
    child.on('exit', onExit)
    child.on('error', onError)
  })
  if (child.connected) child.disconnect()
  child.unref()
  if (message.type === 'failed') {
    const { code, message: text, hint, location, exitCode } = message.error
    throw new DaemonFailure(code, text, hint ?? `See ${paths.daemonLog} (it has the stack) or run \`svc up\` in the foreground.`, exitCode, location)
  }
  return {
    info: message.info,
    services: message.services,
    log: paths.daemonLog,
    ...(message.dashboard ? { dashboard: message.dashboard } : {}),
    ...(message.metrics ? { metrics: message.metrics } : {}),
  }
}

/** A failure reported by the daemon, keeping its code and exit code. */
export class DaemonFailure extends CliError {
  constructor(code: string, message: string, hint: string, exitCode: number, location?: string) {
    const ours = code.startsWith('SVC_ERR_CLI_')
    super(ours ? (code as CliErrorCode) : 'SVC_ERR_CLI_START_FAILED', message, { hint, exitCode, causeCode: ours ? undefined : code, location })
  }
}

function lastLines(file: string, n: number): string {
  try {
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n').slice(-n)
    return lines.length ? `\n${lines.map((l) => `  ${l}`).join('\n')}` : ''
  } catch {
    return ''
  }
}
