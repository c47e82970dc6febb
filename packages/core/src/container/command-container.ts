// A command service's container: any executable, one process per start, in the same kernel container as a Node
// service (container/containment.ts), started with execa. It has no channel to the manager: no typed API, no close
// message — its stop signal asks it to stop. A one-shot's start lasts until its process exits.

import type { ResultPromise } from 'execa'
import { debuglog } from 'node:util'
import { svcError } from '../errors.js'
import type { ResolvedService } from '../manifest/normalize.js'
import { planCommand, type CommandPlan } from './command-plan.js'
import { exitOfInit } from './containment.js'
import { execReached } from './exec-reached.js'
import { findExecutable } from './find-executable.js'
import { withListenFd, type ExitStatus, type ForkTurn } from './launch.js'
import { drained } from './drain.js'
import { LineSplitter } from './line-splitter.js'
import { watchReadiness } from './readiness.js'
import { ServiceContainer, type ExitReport, type ListenSource } from './service-container.js'
import { escalateStop, killGroup, signalGroup } from './terminate.js'

const trace = debuglog('svc:command')

interface CommandRun {
  pid: number
  /** Resolves once the process has exited and its output is drained. */
  exited: Promise<ExitStatus>
  /** Resolves once the command itself runs (not its container's init still), or has exited. */
  running: Promise<void>
  expected: boolean
  stopping: Promise<ExitReport> | null
}

export class CommandContainer extends ServiceContainer {
  readonly controller = null
  readonly plan: CommandPlan
  #run: CommandRun | null = null
  /** Bumped by stop(): a start still looking for its program is cancelled. */
  #epoch = 0

  private readonly inTurn: ForkTurn
  private readonly listenSource: ListenSource | undefined

  /** `inTurn` runs each fork in a turn of the event loop of its own (launch.ts, oneForkPerTurn): forks are made in the
   * manager's process, and many in one turn would stall it. `listen` gives the socket of a service with `listen`. */
  constructor(service: ResolvedService, options: { privateDir: string; inTurn?: ForkTurn; listen?: ListenSource }) {
    super(service)
    this.listenSource = options.listen
    this.plan = planCommand(service, options)
    this.inTurn = options.inTurn ?? ((fork) => Promise.resolve(fork()))
  }

  get permissionReport(): string[] {
    return this.plan.permissionReport
  }

  get pid(): number | null {
    return this.#run?.pid ?? null
  }

  /** Nothing to boot ahead: a command starts as one exec. */
  prepare(): Promise<void> {
    return Promise.resolve()
  }

  async start(): Promise<void> {
    const { name, oneshot } = this.service
    const epoch = this.#epoch
    const run = await this.#spawn(epoch)
    const readiness = watchReadiness(this, this.service, run.exited)
    await run.running
    if (this.#epoch !== epoch) {
      // Stopped while it was being started: stop() has it, or (stopped before it existed) nobody does.
      readiness.cancel()
      if (!run.stopping) await this.stop('stopped while starting')
      throw this.#aborted()
    }
    this.emit('started', run.pid)
    if (!oneshot) {
      try {
        await readiness.ready
      } catch (error) {
        if (run.stopping) throw this.#aborted()
        run.expected = true // not ready: the start failed, and the node reports it; not a crash as well
        signalGroup(run.pid, 'SIGKILL')
        await run.exited
        throw error
      }
      return
    }
    const { code, signal } = await run.exited
    if (code === 0 || run.stopping) return // stopped while it ran: the node reports the start as cancelled
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}${code === 127 ? ' (command not found)' : ''}`
    throw svcError('SVC_ERR_ONESHOT_FAILED', `One-shot service "${name}" ${how}; its dependents are not started. Its output is in \`svc logs ${name}\`.`, {
      service: name,
      details: { code, signal },
    })
  }

  stop(reason: string): Promise<ExitReport> {
    this.#epoch++
    const run = this.#run
    if (!run) return Promise.resolve({ code: null, signal: null, expected: true, step: 'exited' })
    trace('%s: stop (%s)', this.service.name, reason)
    run.expected = true
    // A signal sent before the command runs could be lost (container/exec-reached.ts): wait for it first.
    run.stopping ??= run.running.then(() => escalateStop({
      pid: run.pid,
      exited: run.exited,
      requestClose: () => false,
      stopSignal: this.service.stopSignal,
      stopTimeoutMs: this.service.stopTimeoutMs,
      killTimeoutMs: this.service.killTimeoutMs,
    }))
    return run.stopping
  }

  kill(signal: NodeJS.Signals): void {
    if (this.#run) signalGroup(this.#run.pid, signal)
  }

  async #spawn(epoch: number): Promise<CommandRun> {
    const { name, cwd, command } = this.service
    const { file, args, env } = this.plan
    // The program itself, not the wrapper: a typo must name the program, before anything counts as started.
    if (!findExecutable(command![0]!, env.PATH, cwd)) {
      const message = `command "${command![0]}" was not found (PATH=${env.PATH ?? ''}, cwd ${cwd})`
      this.emit('output', 'stderr', message)
      throw svcError('SVC_ERR_COMMAND_NOT_FOUND', `Service "${name}": ${message}. Install it, or give its full path in command.`, { service: name })
    }
    const listenFd = await this.listenFd(this.listenSource)
    // Loaded on first use: a graph of Node services never pays for it.
    const { execa } = await import('execa')
    if (this.#epoch !== epoch) throw this.#aborted() // stopped meanwhile: start nothing
    // Boxed: the subprocess is itself a promise (of its end), which the turn would otherwise wait for.
    const { child } = await this.inTurn((): { child: ResultPromise } => ({ child: execa(file, args, {
      cwd,
      env: withListenFd(env, listenFd),
      extendEnv: false,
      // fd 3 as a Node service has it (closed here: a command has no channel), the listening socket as fd 4.
      // (execa's types take a number only for fds 0-2; it hands any number to spawn(), as Node documents for all.)
      ...(listenFd === undefined ? { stdin: 'ignore' as const } : { stdio: ['ignore', 'pipe', 'pipe', 'ignore', listenFd] as unknown as ['ignore', 'pipe', 'pipe'] }),
      buffer: false,
      reject: false,
      detached: true, // its own process group: the whole tree is signalled at once
      cleanup: false, // the run record and the watchdog end it, if the manager dies
    }) }))
    void child.catch(() => {}) // its outcome is read from the exit below
    if (child.pid === undefined) {
      const result = await child
      const message = `could not start ${file} in ${cwd}: ${result.message}`
      this.emit('output', 'stderr', message)
      throw svcError('SVC_ERR_SPAWN_FAILED', `Service "${name}": ${message}. Check the working directory.`, { service: name })
    }
    const pid = child.pid
    const out = new LineSplitter((line) => this.emit('output', 'stdout', line))
    const err = new LineSplitter((line) => this.emit('output', 'stderr', line))
    child.stdout!.on('data', (chunk: Buffer) => out.write(chunk))
    child.stderr!.on('data', (chunk: Buffer) => err.write(chunk))
    const run: CommandRun = {
      pid,
      expected: false,
      stopping: null,
      running: Promise.resolve(),
      exited: new Promise<ExitStatus>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal }))).then(async (status) => {
        killGroup(pid) // the leader is gone; nothing it started may outlive it
        await drained(child.stdout, child.stderr)
        out.end()
        err.end()
        return this.plan.containment.kind === 'process-group' ? status : exitOfInit(status)
      }),
    }
    if (this.plan.containment.kind !== 'process-group') run.running = execReached(pid, run.exited)
    this.#run = run
    void run.exited.then((status) => {
      if (this.#run === run) this.#run = null
      const report: ExitReport = { ...status, expected: run.expected || run.stopping !== null || this.service.oneshot, step: 'exited' }
      trace('%s pid %d exited %o', name, pid, report)
      this.emit('exit', report)
      this.emit('gone', pid)
    })
    this.emit('spawn', pid)
    return run
  }

  #aborted(): Error {
    return svcError('SVC_ERR_START_ABORTED', `Service "${this.service.name}" was stopped while it started.`, { service: this.service.name })
  }
}
