// The product's container: one Node child process per start, in its own kernel container (container/containment.ts)
// or, where the host has none, its own process group.

import { rmSync } from 'node:fs'
import { debuglog } from 'node:util'
import { ServiceController } from '../controller/service-controller.js'
import { svcError } from '../errors.js'
import type { ResolvedService } from '../manifest/normalize.js'
import { FramePort } from '../port/frame-port.js'
import type { HostMessage, RemoteMessage } from '../protocol/messages.js'
import { exitOfInit } from './containment.js'
import { launchInline, type Launch, type Launched } from './launch.js'
import { drained } from './drain.js'
import { LineSplitter } from './line-splitter.js'
import { watchReadiness } from './readiness.js'
import { ServiceContainer, type ExitReport, type ListenSource } from './service-container.js'
import { planSpawn, type SpawnPlan } from './spawn.js'
import { escalateStop, killGroup, signalGroup } from './terminate.js'

const trace = debuglog('svc:container')
const SPARE_DELAY_MS = 100
/** A frame the service started on its channel and then did not finish for this long closes the channel (port/frame-port.ts). */
export const PARTIAL_FRAME_TIMEOUT_MS = 30_000

export type SpawnGate = <T>(task: () => Promise<T>) => Promise<T>

interface Run {
  pid: number
  controller: ServiceController
  /** Created at spawn so no exit can be missed; resolves once stdout/stderr are drained too. */
  exited: Promise<{ code: number | null; signal: string | null }>
  expected: boolean
  stopping: Promise<ExitReport> | null
  /** The runner said remoteReady: it waits for its code. */
  booted: boolean
  /** The service's code was sent: a later start needs a new process. */
  sentCode: boolean
}

export class ProcessContainer extends ServiceContainer {
  /** The process of the current start (or the pre-spawned one waiting for its code). */
  #run: Run | null = null
  /** A booted, idle process that becomes the next #run; its own end is nobody's crash. Kept by restart.warmSpare,
   * or booted by prepare() while the current process still closes. */
  #spare: Run | null = null
  /** A spare waiting for the gate or booting. */
  #spareBoot: Promise<void> | null = null
  #disposed = false
  /** A process waiting for the gate to boot. */
  #booting: Promise<Run> | null = null
  /** Bumped by stop(): a boot still waiting for the gate is then cancelled. */
  #epoch = 0
  readonly plan: SpawnPlan

  private readonly gate: SpawnGate
  private readonly launch: Launch
  private readonly partialFrameTimeoutMs: number
  private readonly listenSource: ListenSource | undefined

  /** `gate` bounds how many processes boot at once across the manager (see manager/limit.ts); `launch` creates
   * them (the manager's spawner process, container/spawner.ts); `privateDir` is hidden from the service; `listen`
   * gives the socket of a service with `listen`. */
  constructor(service: ResolvedService, options: { privateDir: string; gate?: SpawnGate; launch?: Launch; partialFrameTimeoutMs?: number; listen?: ListenSource }) {
    super(service)
    this.listenSource = options.listen
    this.gate = options.gate ?? ((task) => task())
    this.launch = options.launch ?? launchInline
    this.partialFrameTimeoutMs = options.partialFrameTimeoutMs ?? PARTIAL_FRAME_TIMEOUT_MS
    this.plan = planSpawn(service, { privateDir: options.privateDir })
  }

  get permissionReport(): string[] {
    return this.plan.permissions.report
  }

  get controller(): ServiceController | null {
    return this.#run?.controller ?? null
  }

  get pid(): number | null {
    return this.#run?.pid ?? null
  }

  /** Only once it has booted: a spare still booting would not make the next start any faster. */
  override get sparePid(): number | null {
    return this.#spare?.booted ? this.#spare.pid : null
  }

  prepare(): Promise<void> {
    // The current process has had its code, so the next start needs another. It can boot while this one closes:
    // in a crash cascade the dependents' replacements are then ready about when their dependency runs again.
    if (this.#run?.sentCode) return this.#bootSpare()
    return this.#ready().then((run) => run.controller.remoteReady)
  }

  /** Kills the warm spare (the service is not coming back) and waits until it is gone. */
  override async dispose(): Promise<void> {
    this.#disposed = true
    const spare = this.#spare
    if (spare) this.#abandon(spare)
    await this.#spareBoot // a spare still being created is abandoned as soon as it exists
    await spare?.exited
  }

  /** The run to start: the current one, else the warm spare, else a fresh process once the gate lets it boot. */
  #ready(): Promise<Run> {
    if (this.#run) return Promise.resolve(this.#run)
    this.#disposed = false
    if (this.#spare) return Promise.resolve(this.#adoptSpare())
    const epoch = this.#epoch
    if (this.#spareBoot) {
      // A spare is on its way: wait for it rather than boot a second process.
      return this.#spareBoot.then(() => {
        if (this.#epoch !== epoch) throw this.#aborted()
        return this.#ready()
      })
    }
    this.#booting ??= this.gate(async () => {
      // Stopped while waiting for the gate: spawning now would leave a process nobody asked for.
      if (this.#epoch !== epoch) throw this.#aborted()
      const run = this.#run ?? (this.#spare ? this.#adoptSpare() : await this.#spawnCurrent(epoch))
      await run.controller.remoteReady.catch(() => {}) // hold the slot while it boots; start() reports failures
      return run
    }).finally(() => {
      this.#booting = null
    })
    return this.#booting
  }

  async #spawnCurrent(epoch: number): Promise<Run> {
    const run = await this.#spawn()
    if (this.#epoch !== epoch) {
      // Stopped while the process was being created: it never becomes the service's.
      this.#abandon(run)
      throw this.#aborted()
    }
    this.#run = run
    this.emit('controller', run.controller)
    return run
  }

  /** Kills a process that never ran the service's code: there is nothing to close gracefully. */
  #abandon(run: Run): void {
    run.expected = true
    signalGroup(run.pid, 'SIGKILL')
  }

  #adoptSpare(): Run {
    const spare = this.#spare!
    this.#spare = null
    this.#run = spare
    this.emit('controller', spare.controller)
    return spare
  }

  #aborted(): Error {
    return svcError('SVC_ERR_START_ABORTED', `Service "${this.service.name}" was stopped before its process was started.`, { service: this.service.name })
  }

  // restart.warmSpare: a moment after a start, not during it: the new process would compete for the CPU with the
  // starts that are still going on (and, forked inline, block the manager's event loop for a few milliseconds).
  #replenish(): void {
    if (!this.service.restart.warmSpare || this.#spare || this.#disposed) return
    setTimeout(() => {
      if (this.#run) void this.#bootSpare()
    }, SPARE_DELAY_MS).unref()
  }

  /** Boots a spare when the gate lets it; resolves once it has booted (or could not). */
  #bootSpare(): Promise<void> {
    this.#spareBoot ??= this.gate(async () => {
      if (this.#spare || this.#disposed) return
      let spare: Run
      try {
        spare = await this.#spawn()
      } catch (error) {
        trace('%s: no spare: %o', this.service.name, error) // the next start spawns (and reports) anew
        return
      }
      if (this.#spare || this.#disposed) return this.#abandon(spare)
      this.#spare = spare
      await spare.controller.remoteReady.catch(() => {})
    }).finally(() => {
      this.#spareBoot = null
    })
    return this.#spareBoot
  }

  async start(): Promise<void> {
    const run = await this.#ready()
    const message = this.startMessage()
    run.sentCode = true
    this.emit('started', run.pid)
    // A service killed with SIGKILL cannot remove its direct socket file; its container does.
    if (message.direct) void run.exited.then(() => rmSync(message.direct!.path, { force: true }))
    const readiness = watchReadiness(this, this.service, run.exited)
    try {
      await run.controller.start(message, this.service.startTimeoutMs)
      await readiness.ready
      this.#replenish()
    } catch (error) {
      readiness.cancel()
      // A stop asked for during start is already escalating; otherwise nothing is worth keeping.
      if (!run.stopping) {
        run.expected = true
        signalGroup(run.pid, 'SIGKILL')
      }
      await run.exited
      throw error
    }
  }

  stop(reason: string): Promise<ExitReport> {
    this.#epoch++
    const run = this.#run
    if (!run) return Promise.resolve({ code: null, signal: null, expected: true, step: 'exited' })
    run.expected = true
    run.stopping ??= escalateStop({
      pid: run.pid,
      exited: run.exited,
      requestClose: () => run.controller.requestClose(reason),
      stopSignal: this.service.stopSignal,
      stopTimeoutMs: this.service.stopTimeoutMs,
      killTimeoutMs: this.service.killTimeoutMs,
    })
    return run.stopping
  }

  kill(signal: NodeJS.Signals): void {
    const run = this.#run
    if (run) signalGroup(run.pid, signal)
  }

  /** Creates a process; an error (a cwd that is missing or a file) is the start's failure, and is in its log. */
  async #spawn(): Promise<Run> {
    const { file, args, env } = this.plan
    const listenFd = await this.listenFd(this.listenSource)
    let launched: Launched
    try {
      launched = await this.launch(file, args, { env, cwd: this.service.cwd, listenFd }) // cwd: the project directory
    } catch (error) {
      const message = `could not start ${file} in ${this.service.cwd}: ${(error as Error).message}`
      this.emit('output', 'stderr', message)
      throw svcError('SVC_ERR_SPAWN_FAILED', `Service "${this.service.name}": ${message}. Check the working directory.`, {
        service: this.service.name,
        cause: error,
      })
    }
    const { pid, stdout, stderr, channel } = launched
    const controller = new ServiceController(this.service.name, new FramePort<RemoteMessage, HostMessage>(channel, { rawBodies: true, partialFrameTimeoutMs: this.partialFrameTimeoutMs }))
    const out = new LineSplitter((line) => this.emit('output', 'stdout', line))
    const err = new LineSplitter((line) => this.emit('output', 'stderr', line))
    stdout.on('data', (chunk: Buffer) => out.write(chunk))
    stderr.on('data', (chunk: Buffer) => err.write(chunk))

    const run: Run = {
      pid,
      controller,
      expected: false,
      stopping: null,
      booted: false,
      sentCode: false,
      exited: launched.exit.then(async (status) => {
        const { code, signal } = this.plan.containment.kind === 'process-group' ? status : exitOfInit(status)
        // The leader is gone; nothing it started may outlive it.
        killGroup(pid)
        if (controller.connected) controller.disconnect()
        await drained(stdout, stderr)
        out.end()
        err.end()
        return { code, signal }
      }),
    }
    void run.exited.then((ended) => {
      if (this.#spare === run) this.#spare = null // an idle spare died: the next start spawns a fresh process
      // Not a spare, nor abandoned before it was the service's: the service's exit, reported before the bookkeeping
      // of 'gone' — a crash is detected that much sooner.
      if (this.#run === run) {
        this.#run = null
        const report: ExitReport = run.stopping
          ? { ...ended, expected: true, step: 'exited' }
          : { ...ended, expected: run.expected, step: 'exited' }
        trace('%s pid %d exited %o', this.service.name, run.pid, report)
        this.emit('exit', report)
      }
      this.emit('gone', run.pid)
    })
    controller.remoteReady.then(() => (run.booted = true), () => {})
    this.emit('spawn', pid)
    return run
  }
}
