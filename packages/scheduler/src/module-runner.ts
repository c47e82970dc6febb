// Runs module tasks in a tinypool worker pool so CPU-heavy jobs never block the scheduler's event loop.
//
// Cancelling is two steps: first the task's own AbortSignal fires inside the worker (a task awaiting I/O
// can clean up and return), then after `cancelGraceMs` tinypool's signal terminates the thread, which
// also stops a task stuck in a synchronous loop.

import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { MessageChannel } from 'node:worker_threads'
import Tinypool from 'tinypool'
import { ErrorCodes, SchedulerError, restoreError } from './errors.js'
import { ABORT_MESSAGE, type WorkerRequest, type WorkerResponse } from './worker/protocol.js'

export interface ModuleRunner {
  // Resolves the task's result; rejects with the task's error, or once `signal` has stopped the run.
  run(modulePath: string, input: unknown, signal: AbortSignal): Promise<unknown>
  close(): Promise<void>
}

export interface TinypoolRunnerOptions {
  maxWorkers?: number
  cancelGraceMs?: number
  // Compiled worker runner; the default is this package's dist/worker/run-task.js.
  workerFile?: string
}

export const DEFAULT_MAX_WORKERS = 2
export const DEFAULT_CANCEL_GRACE_MS = 1_000

// Resolves to <package>/dist/worker/run-task.js from both src/ (tests) and dist/ (runtime): same depth.
export function defaultWorkerFile(): string {
  return fileURLToPath(new URL('../dist/worker/run-task.js', import.meta.url))
}

export class TinypoolModuleRunner implements ModuleRunner {
  readonly #maxWorkers: number
  readonly #graceMs: number
  readonly #workerFile: string
  #pool: Tinypool | undefined
  // Runs waiting on the current pool, failed all at once if a worker thread dies outside any task.
  readonly #pending = new Set<(error: Error) => void>()

  constructor(options: TinypoolRunnerOptions = {}) {
    this.#maxWorkers = options.maxWorkers ?? DEFAULT_MAX_WORKERS
    this.#graceMs = options.cancelGraceMs ?? DEFAULT_CANCEL_GRACE_MS
    this.#workerFile = options.workerFile ?? defaultWorkerFile()
  }

  async run(modulePath: string, input: unknown, signal: AbortSignal): Promise<unknown> {
    signal.throwIfAborted()
    const pool = this.#ensurePool()
    const { port1, port2 } = new MessageChannel()
    const kill = new AbortController()
    let grace: NodeJS.Timeout | undefined
    const onAbort = () => {
      port1.postMessage(ABORT_MESSAGE)
      grace = setTimeout(() => kill.abort(), this.#graceMs)
    }
    signal.addEventListener('abort', onAbort, { once: true })
    let fail!: (error: Error) => void
    const failed = new Promise<never>((_, reject) => (fail = reject))
    this.#pending.add(fail)
    try {
      const request: WorkerRequest = { modulePath, input, port: port2 }
      const running = pool.run(request, { transferList: [port2], signal: kill.signal }) as Promise<WorkerResponse>
      const response = await Promise.race([running, failed])
      if (!response.ok) throw restoreError(response.error)
      return response.result
    } finally {
      this.#pending.delete(fail)
      signal.removeEventListener('abort', onAbort)
      clearTimeout(grace)
      port1.close()
    }
  }

  async close(): Promise<void> {
    const pool = this.#pool
    this.#pool = undefined
    await pool?.destroy()
  }

  // Created on the first module run: a scheduler with only call tasks never starts a thread.
  #ensurePool(): Tinypool {
    if (this.#pool !== undefined) return this.#pool
    if (!existsSync(this.#workerFile)) {
      throw new SchedulerError(
        ErrorCodes.WORKER_MISSING,
        `The scheduler's worker runner ${this.#workerFile} does not exist. Build the package first (npx tsc -b packages/scheduler).`,
      )
    }
    const pool = new Tinypool({
      filename: this.#workerFile,
      minThreads: 0,
      maxThreads: this.#maxWorkers,
      idleTimeout: 30_000,
    })
    pool.on('error', (error: unknown) => this.#onPoolError(pool, error))
    this.#pool = pool
    return pool
  }

  // Tinypool emits 'error' when a thread dies while no task is assigned to it, typically while starting
  // (bad execArgv, the runner failing to load). Unhandled, that event would crash the scheduler; and after a
  // start-up failure tinypool stops making threads, so queued runs would wait forever. Fail them and start
  // over with a fresh pool on the next run.
  #onPoolError(pool: Tinypool, cause: unknown): void {
    const error = new SchedulerError(
      ErrorCodes.WORKER_FAILED,
      `A module-task worker thread failed (${cause instanceof Error ? cause.message : String(cause)}). Check that the service may start worker threads (permission "worker").`,
      { cause },
    )
    for (const fail of this.#pending) fail(error)
    if (this.#pool === pool) this.#pool = undefined
    pool.destroy().catch(() => {})
  }
}
