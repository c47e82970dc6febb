// The scheduling engine. It knows nothing about the services framework: it gets a `call` function, a
// clock, a store and optionally a cluster gate, and runs tasks on their schedules.
//
// Lifecycle: idle → running (after bootstrap) → stopping → stopped. Mutating operations (bootstrap,
// taskAdd, taskRemove, taskStop, taskStart, stop) take an operation lock so they never interleave.

import { EventEmitter } from 'node:events'
import { debuglog } from 'node:util'
import { systemClock, type Clock } from './clock.js'
import { ErrorCodes, SchedulerError, notBootstrapped, stopped, unknownTask } from './errors.js'
import { cancelReason, executeRun, type CallFunction, type ExecutorDeps } from './executor.js'
import { isRefusal, type RunClaim, type RunGate } from './gate.js'
import { TinypoolModuleRunner, type ModuleRunner } from './module-runner.js'
import { slotOf } from './schedule.js'
import { Timers } from './timers.js'
import { MemoryTaskStore, type PersistedState, type TaskStore } from './store.js'
import { mergeTasks, parseNewTask, type TaskEntry } from './task-set.js'
import type { LastRun, RunInfo, RunTrigger, TaskStatus } from './status.js'

const debug = debuglog('svc:scheduler')

export interface SchedulerLogger {
  warn(...args: unknown[]): void
}

export interface SchedulerOptions {
  call: CallFunction
  // Relative `module` paths in task definitions resolve against this directory.
  moduleBaseDir: string
  clock?: Clock
  store?: TaskStore
  // Cluster mode: each scheduled run happens only where the gate grants the claim.
  pool?: RunGate
  maxWorkers?: number
  cancelGraceMs?: number
  // Replaces the tinypool runner (tests, or embedding in another pool).
  modules?: ModuleRunner
  log?: SchedulerLogger
}

// 'late': the gate refused a claim made too long after the run was due (also counted in notClaimed).
export type SkipReason = 'overlap' | 'not-claimed' | 'claim-failed' | 'late'

export type SchedulerEvents = {
  'run:start': [task: string, trigger: RunTrigger]
  'run:end': [task: string, run: LastRun]
  'run:skip': [task: string, reason: SkipReason]
  // Cluster mode: the run ended after its claim lapsed (counted in counts.unconfirmed).
  'run:unconfirmed': [task: string, claim: RunClaim]
}

type LifecycleState = 'idle' | 'running' | 'stopping' | 'stopped'

export class Scheduler extends EventEmitter<SchedulerEvents> {
  readonly #deps: ExecutorDeps
  readonly #store: TaskStore
  readonly #gate: RunGate | undefined
  readonly #log: SchedulerLogger
  readonly #timers: Timers
  readonly #tasks = new Map<string, TaskEntry>()
  #persisted: PersistedState = { tasks: [], enabled: {} }
  #state: LifecycleState = 'idle'
  #lock: Promise<unknown> = Promise.resolve()

  constructor(options: SchedulerOptions) {
    super()
    const clock = options.clock ?? systemClock
    const modules = options.modules ?? new TinypoolModuleRunner({ maxWorkers: options.maxWorkers, cancelGraceMs: options.cancelGraceMs })
    this.#deps = { call: options.call, modules, clock, moduleBaseDir: options.moduleBaseDir }
    this.#store = options.store ?? new MemoryTaskStore()
    this.#gate = options.pool
    this.#log = options.log ?? { warn: (...args) => debug('%s', args.join(' ')) }
    this.#timers = new Timers(
      clock,
      (entry, at) => this.#tick(entry, at),
      () => this.#state === 'running',
      (error) => this.#log.warn('scheduler: a scheduled tick failed:', error),
    )
  }

  get state(): LifecycleState {
    return this.#state
  }

  // Cold start: loads persisted tasks, merges them with `tasks` (config wins on a name clash) and arms
  // every enabled task. Calling it again reloads: tasks keep their counts, removed ones are cancelled.
  bootstrap(tasks: readonly unknown[] = []): Promise<TaskStatus[]> {
    return this.#exclusive(async () => {
      if (this.#state !== 'idle' && this.#state !== 'running') throw stopped()
      const persisted = await this.#store.load()
      const merged = mergeTasks(tasks, persisted, this.#deps.moduleBaseDir, this.#log)
      if (this.#state !== 'idle' && this.#state !== 'running') throw stopped()
      if (merged.changed) await this.#store.save(merged.persisted)
      this.#persisted = merged.persisted
      const removed = [...this.#tasks.values()].filter((entry) => !merged.entries.has(entry.parsed.definition.name))
      for (const entry of this.#tasks.values()) this.#timers.clear(entry)
      for (const entry of removed) this.#tasks.delete(entry.parsed.definition.name)
      for (const [name, fresh] of merged.entries) {
        const old = this.#tasks.get(name)
        // Updated in place: a run in flight holds on to the entry object and reports back to it.
        if (old !== undefined) Object.assign(old, { parsed: fresh.parsed, source: fresh.source, enabled: fresh.enabled })
        else this.#tasks.set(name, fresh)
      }
      this.#state = 'running'
      for (const entry of this.#tasks.values()) this.#timers.arm(entry)
      await Promise.all(removed.map((entry) => this.#cancel(entry, 'the task was removed by bootstrap')))
      debug('bootstrapped %d tasks', this.#tasks.size)
      return this.taskList()
    })
  }

  taskList(): TaskStatus[] {
    return [...this.#tasks.values()].map(snapshot)
  }

  // Adds a task at run time and persists it, so it survives a restart.
  taskAdd(definition: unknown): Promise<TaskStatus> {
    return this.#exclusive(async () => {
      this.#assertRunning()
      const entry = parseNewTask(definition, this.#tasks, this.#deps.moduleBaseDir)
      const name = entry.parsed.definition.name
      await this.#save({ ...this.#persisted, tasks: [...this.#persisted.tasks, entry.parsed.definition] })
      this.#tasks.set(name, entry)
      this.#timers.arm(entry)
      return snapshot(entry)
    })
  }

  // Removes a task added at run time (config tasks belong to the config), cancelling a run in flight.
  taskRemove(name: string): Promise<void> {
    return this.#exclusive(async () => {
      this.#assertRunning()
      const entry = this.#entry(name)
      if (entry.source !== 'runtime') {
        throw new SchedulerError(ErrorCodes.TASK_NOT_REMOVABLE, `Task "${name}" comes from the config; remove it there, or disable it with taskStop("${name}").`, { task: name })
      }
      const { [name]: _dropped, ...enabled } = this.#persisted.enabled
      await this.#save({ tasks: this.#persisted.tasks.filter((task) => task.name !== name), enabled })
      this.#timers.clear(entry)
      this.#tasks.delete(name)
      await this.#cancel(entry, 'the task was removed')
    })
  }

  // Runs the task now, outside its schedule and without asking the cluster gate; resolves with the run.
  async taskRun(name: string): Promise<LastRun> {
    this.#assertRunning()
    const entry = this.#entry(name)
    if (entry.inflight !== undefined) {
      throw new SchedulerError(ErrorCodes.TASK_BUSY, `Task "${name}" is already running. Wait for the run to finish, or stop it with taskStop("${name}").`, { task: name })
    }
    return (await this.#perform(entry, 'manual')) as LastRun
  }

  // Disables the task (persisted) and aborts a module run in flight; call runs are left to finish.
  taskStop(name: string): Promise<TaskStatus> {
    return this.#exclusive(async () => {
      this.#assertRunning()
      const entry = this.#entry(name)
      await this.#save({ ...this.#persisted, enabled: { ...this.#persisted.enabled, [name]: false } })
      entry.enabled = false
      this.#timers.clear(entry)
      if (entry.parsed.definition.module !== undefined) await this.#cancel(entry, `taskStop("${name}") was called`)
      return snapshot(entry)
    })
  }

  taskStart(name: string): Promise<TaskStatus> {
    return this.#exclusive(async () => {
      this.#assertRunning()
      const entry = this.#entry(name)
      await this.#save({ ...this.#persisted, enabled: { ...this.#persisted.enabled, [name]: true } })
      entry.enabled = true
      this.#timers.arm(entry)
      return snapshot(entry)
    })
  }

  // Stops every timer, cancels every run in flight, shuts the worker pool down. Idempotent.
  stop(): Promise<void> {
    if (this.#state === 'stopping' || this.#state === 'stopped') return this.#lock.then(() => undefined)
    this.#state = 'stopping'
    return this.#exclusive(async () => {
      for (const entry of this.#tasks.values()) this.#timers.clear(entry)
      await Promise.all([...this.#tasks.values()].map((entry) => this.#cancel(entry, 'the scheduler is stopping')))
      await this.#deps.modules.close()
      this.#state = 'stopped'
      debug('stopped')
    })
  }

  async #tick(entry: TaskEntry, scheduledAt: number): Promise<void> {
    const name = entry.parsed.definition.name
    if (entry.inflight !== undefined) {
      entry.counts.skipped++
      debug('skip %s: previous run still in flight', name)
      this.emit('run:skip', name, 'overlap')
      return
    }
    await this.#perform(entry, 'schedule', scheduledAt)
  }

  // Starts a run and marks the task in flight until it ends. Resolves null when the gate said no.
  #perform(entry: TaskEntry, trigger: RunTrigger, scheduledAt?: number): Promise<LastRun | null> {
    const name = entry.parsed.definition.name
    const controller = new AbortController()
    const inflight = { controller, started: false, done: Promise.resolve<LastRun | null>(null) }
    entry.inflight = inflight
    inflight.done = (async () => {
      let run: LastRun | null = null
      let skip: SkipReason | undefined
      try {
        const slot = scheduledAt === undefined ? null : slotOf(entry.parsed, scheduledAt)
        let claim: RunClaim | undefined
        if (this.#gate !== undefined && scheduledAt !== undefined) {
          const answer = await this.#claim(name, slot!, scheduledAt)
          if (typeof answer === 'string') skip = answer
          else claim = answer
          // A claimed slot that is cancelled before it starts is lost, not run late.
          if (skip !== undefined || controller.signal.aborted) return null
        }
        inflight.started = true
        entry.counts.runs++
        this.emit('run:start', name, trigger)
        const info: RunInfo = { task: name, trigger, scheduledAt: scheduledAt ?? null, slot, token: claim?.token ?? null }
        const finished = await executeRun(this.#deps, entry.parsed.definition, controller, info)
        if (claim !== undefined) {
          const confirmed = await this.#confirm(name, slot!, claim)
          if (!confirmed) entry.counts.unconfirmed++
          finished.claim = { slot: slot!, token: claim.token, confirmed }
        }
        entry.counts[finished.outcome]++
        entry.lastRun = finished
        run = finished
        return run
      } finally {
        // Cleared before the events, so listeners already see the task as not running.
        if (entry.inflight === inflight) entry.inflight = undefined
        if (skip !== undefined) {
          entry.counts.notClaimed++
          if (skip === 'late') entry.counts.lateRejected++
          this.emit('run:skip', name, skip)
        }
        if (run !== null) this.emit('run:end', name, run)
      }
    })()
    return inflight.done
  }

  // The claim, or why this node does not run the slot.
  async #claim(name: string, slot: number, scheduledAt: number): Promise<RunClaim | SkipReason> {
    try {
      const answer = await this.#gate!.claim(name, slot, { scheduledAt })
      if (answer === null) return 'not-claimed'
      if (!isRefusal(answer)) return answer
      if (answer.refused === 'late') {
        this.#log.warn(`scheduler: run ${slot} of task "${name}" was claimed too long after it was due and was refused; it is skipped. Is this node overloaded or was it paused?`)
        return 'late'
      }
      debug('run %d of %s not claimed: %s', slot, name, answer.refused)
      return 'not-claimed'
    } catch (error) {
      this.#log.warn(`scheduler: claiming run ${slot} of task "${name}" failed; skipping it:`, error)
      return 'claim-failed'
    }
  }

  // True when the claim still held at the end of the run; a gate that cannot confirm counts as "held".
  async #confirm(name: string, slot: number, claim: RunClaim): Promise<boolean> {
    if (this.#gate?.confirm === undefined) return true
    let confirmed: boolean
    try {
      confirmed = await this.#gate.confirm(claim)
    } catch (error) {
      this.#log.warn(`scheduler: confirming run ${slot} of task "${name}" failed:`, error)
      confirmed = false
    }
    if (!confirmed) {
      this.#log.warn(`scheduler: run ${slot} of task "${name}" (fencing token ${claim.token}) ended after this node's claim lapsed; another node may have run the task meanwhile. Downstream systems should refuse token ${claim.token} if they saw a larger one.`)
      this.emit('run:unconfirmed', name, claim)
    }
    return confirmed
  }

  async #cancel(entry: TaskEntry, why: string): Promise<void> {
    const inflight = entry.inflight
    if (inflight === undefined) return
    inflight.controller.abort(cancelReason(entry.parsed.definition.name, why))
    await inflight.done
  }

  // Persists first, so an operation that could not be saved changes nothing.
  async #save(next: PersistedState): Promise<void> {
    await this.#store.save(next)
    this.#persisted = next
  }

  #entry(name: string): TaskEntry {
    const entry = this.#tasks.get(name)
    if (entry === undefined) throw unknownTask(name)
    return entry
  }

  #assertRunning(): void {
    if (this.#state === 'idle') throw notBootstrapped()
    if (this.#state !== 'running') throw stopped()
  }

  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#lock.then(fn)
    this.#lock = run.catch(() => {})
    return run
  }
}

function snapshot(entry: TaskEntry): TaskStatus {
  return structuredClone({
    definition: entry.parsed.definition,
    source: entry.source,
    enabled: entry.enabled,
    running: entry.inflight?.started === true,
    lastRun: entry.lastRun,
    counts: entry.counts,
    nextRunAt: entry.nextRunAt,
  })
}

