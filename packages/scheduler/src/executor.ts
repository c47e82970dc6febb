// Performs one run of one task and describes how it ended. Never throws: every ending is a LastRun.

import { isAbsolute, resolve } from 'node:path'
import type { Clock } from './clock.js'
import { ErrorCodes, SchedulerError, toRunError } from './errors.js'
import type { ModuleRunner } from './module-runner.js'
import type { LastRun, RunInfo, RunOutcome } from './status.js'
import type { TaskDefinition } from './task.js'

export interface CallOptions {
  timeoutMs?: number
  signal: AbortSignal
}

// Performs a call task; in the service this is ctx.call.
export type CallFunction = (service: string, method: string, args: unknown[], options: CallOptions) => Promise<unknown>

export interface ExecutorDeps {
  call: CallFunction
  modules: ModuleRunner
  clock: Clock
  moduleBaseDir: string
}

export function resolveModulePath(moduleBaseDir: string, module: string): string {
  return isAbsolute(module) ? module : resolve(moduleBaseDir, module)
}

export function timeoutReason(task: string, ms: number): SchedulerError {
  return new SchedulerError(ErrorCodes.TIMEOUT, `Task "${task}" did not finish within its timeoutMs of ${ms} ms.`, { task })
}

export function cancelReason(task: string, why: string): SchedulerError {
  return new SchedulerError(ErrorCodes.CANCELLED, `Task "${task}" was cancelled: ${why}.`, { task })
}

export async function executeRun(
  deps: ExecutorDeps,
  definition: TaskDefinition,
  controller: AbortController,
  info: RunInfo,
): Promise<LastRun> {
  const { clock } = deps
  const at = clock.now()
  const { timeoutMs } = definition
  const timer = timeoutMs === undefined ? undefined : clock.setTimeout(() => controller.abort(timeoutReason(definition.name, timeoutMs)), timeoutMs)
  let outcome: RunOutcome
  let result: unknown
  let error: unknown
  try {
    result = await perform(deps, definition, controller.signal, info)
    outcome = 'ok'
  } catch (caught) {
    error = caught
    outcome = 'failed'
  } finally {
    if (timer !== undefined) clock.clearTimeout(timer)
  }
  // An aborted run is judged by why it was aborted, whatever the task did afterwards.
  if (controller.signal.aborted) {
    const reason = controller.signal.reason as SchedulerError
    outcome = reason.code === ErrorCodes.TIMEOUT ? 'timedOut' : 'cancelled'
    error = reason
  }
  const run: LastRun = { at, durationMs: Math.max(0, clock.now() - at), ok: outcome === 'ok', outcome, trigger: info.trigger }
  if (outcome === 'ok') run.result = result
  else run.error = toRunError(error)
  return run
}

function perform(deps: ExecutorDeps, definition: TaskDefinition, signal: AbortSignal, info: RunInfo): Promise<unknown> {
  if (definition.module !== undefined) {
    // The module runner honours the signal itself and settles once the worker has let go of the task.
    return deps.modules.run(resolveModulePath(deps.moduleBaseDir, definition.module), definition.input, signal)
  }
  const { service, method, args = [], withRun } = definition.call!
  const callArgs = withRun === true ? [...args, info] : args
  // A remote call cannot be taken back; on abort the scheduler stops waiting for it.
  return Promise.race([
    deps.call(service, method, callArgs, { timeoutMs: definition.timeoutMs, signal }),
    rejectOnAbort(signal),
  ])
}

function rejectOnAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason)
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true })
  })
}
