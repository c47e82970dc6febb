// What a running manager prints: start-up progress, then `name |` log lines on stdout and status lines on stderr.

import type { InstanceChange, LogLine, ServicesManager, StateChange } from '@services-cluster/core'
import { relative } from 'node:path'
import { err } from '../output/colors.js'
import { escapeControl, logFormatter } from '../output/log-prefix.js'
import { plainLine, StartProgress } from '../output/progress.js'

export interface Reporter {
  /** Start-up is over: later changes print as status lines. */
  started(): void
  status(text: string): void
  detach(): void
}

export function attachReporter(manager: ServicesManager, names: string[], stdout: NodeJS.WriteStream = process.stdout, stderr: NodeJS.WriteStream = process.stderr): Reporter {
  const all = manager.manifest.graph.names
  const format = logFormatter(all)
  let progress: StartProgress | null = new StartProgress(manager.manifest.graph.startOrder(manager.manifest.graph.withDependencies(names)), stderr)
  const status = (text: string) => {
    const write = () => stderr.write(text + '\n')
    if (progress) progress.above(write)
    else write()
  }

  const onLog = (line: LogLine) => {
    const write = () => stdout.write(format(line) + '\n')
    if (progress) progress.above(write)
    else write()
  }
  const onState = (change: StateChange) => {
    const pid = manager.service(change.service).pid
    if (progress) return progress.update(change, pid)
    if (change.to === 'starting' || change.to === 'closing') return
    if (change.to === 'closed' && change.from === 'running' && manager.service(change.service).lastExit?.reason !== 'closed') return // the crash line says it
    const readyMs = change.to === 'running' ? readyTime(manager, change) : null
    const state = change.to === 'closed' ? manager.service(change.service).display : change.to
    status(plainLine({ name: change.service, state, pid: change.to === 'running' ? pid : null, readyMs, note: change.to === 'closed' ? change.reason : '' }))
  }
  const onCrash = (c: { service: string; code: number | null; signal: string | null }) =>
    status(err.red(`svc: ${c.service} crashed (${c.signal ? `signal ${c.signal}` : `exit code ${c.code}`})`))
  const onRestart = (r: { service: string; attempt: number; delayMs: number }) =>
    status(`svc: ${r.service} restarting in ${r.delayMs}ms (attempt ${r.attempt})`)
  // What a service said (its exception, a notice) is spelled like its log lines: only our colours reach the terminal.
  const onFailed = (f: { service: string; why: string }) => status(err.red(`svc: ${f.service} failed: ${escapeControl(f.why)}`))
  const onFatal = (f: { service: string; why: string }) => status(err.red(`svc: critical service ${f.service} failed (${escapeControl(f.why)}); closing everything`))
  const onNotice = (n: { service: string; message: string }) => status(`svc: ${n.service}: ${escapeControl(n.message)}`)
  const onFilesChanged = (c: { services: string[]; files: string[] }) => {
    const files = c.files.slice(0, 3).map((f) => relative(manager.manifest.cwd, f)).join(', ') + (c.files.length > 3 ? ` and ${c.files.length - 3} more` : '')
    // A running Node service is reloaded, anything else restarted (ServicesManager's watch mode).
    const reloaded = (name: string) => manager.state(name) === 'running' && manager.service(name).kind === 'node'
    const what = [
      ...(c.services.some(reloaded) ? [`reloading ${c.services.filter(reloaded).join(', ')}`] : []),
      ...(c.services.some((n) => !reloaded(n)) ? [`restarting ${c.services.filter((n) => !reloaded(n)).join(', ')}`] : []),
    ]
    status(`svc: changed: ${escapeControl(files)}; ${what.join('; ')}`)
  }
  // An instance replaced, added or restarted alone while its service runs: the service's own line does not move.
  const onInstance = (c: InstanceChange) => {
    if (progress || manager.state(c.service) !== 'running') return
    if (c.to === 'running') status(plainLine({ name: c.instance, state: 'running', pid: c.pid, readyMs: null, note: c.reason }))
    else if (c.to === 'closed' && c.from !== 'running') status(plainLine({ name: c.instance, state: 'stopped', pid: null, readyMs: null, note: c.reason }))
  }
  const onInstanceCrash = (c: { instance: string; code: number | null; signal: string | null }) =>
    status(err.red(`svc: ${c.instance} crashed (${c.signal ? `signal ${c.signal}` : `exit code ${c.code}`}); the other instances serve`))
  // An exception is not reported here: the manager writes it, with its stack, into the service's log lines above.

  // One table for on and off, so a handler is never left attached (the casts only bridge the per-event types).
  const handlers = [
    ['log', onLog],
    ['state', onState],
    ['crash', onCrash],
    ['restart', onRestart],
    ['failed', onFailed],
    ['fatal', onFatal],
    ['notice', onNotice],
    ['filesChanged', onFilesChanged],
    ['instance', onInstance],
    ['instanceCrash', onInstanceCrash],
  ] as const
  for (const [event, handler] of handlers) manager.on(event, handler as never)
  return {
    started() {
      progress?.finish()
      progress = null
    },
    status,
    detach() {
      progress?.finish()
      progress = null
      for (const [event, handler] of handlers) manager.off(event, handler as never)
    },
  }
}

function readyTime(manager: ServicesManager, change: StateChange): number | null {
  const started = manager.timeline(change.service).findLast((c) => c.to === 'starting')
  return started ? change.at - started.at : null
}
