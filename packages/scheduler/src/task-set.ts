// Building the set of tasks: validating definitions, merging config tasks with persisted ones.
//
// Merge rule: a config task and a persisted (taskAdd) task with the same name → the config definition
// wins and the persisted copy is dropped from the state file. Enabled flags saved by taskStop/taskStart
// win over the definition's `enabled`, so an operator's stop survives a restart.

import { existsSync } from 'node:fs'
import type { TimerHandle } from './clock.js'
import { ErrorCodes, SchedulerError } from './errors.js'
import { resolveModulePath } from './executor.js'
import type { PersistedState } from './store.js'
import { zeroCounts, type LastRun, type TaskCounts } from './status.js'
import { validateTask, type ParsedTask } from './task.js'

export interface InFlight {
  controller: AbortController
  // False while the cluster gate is still being asked.
  started: boolean
  done: Promise<LastRun | null>
}

export interface TaskEntry {
  parsed: ParsedTask
  source: 'config' | 'runtime'
  enabled: boolean
  counts: TaskCounts
  lastRun: LastRun | null
  inflight?: InFlight
  timer?: TimerHandle
  nextRunAt: number | null
}

export interface MergeResult {
  entries: Map<string, TaskEntry>
  persisted: PersistedState
  // True when persisted state had to be cleaned up and should be saved.
  changed: boolean
}

interface Warn {
  warn(...args: unknown[]): void
}

// Config tasks must all be valid (a bad manifest should fail the start); bad persisted tasks are dropped
// with a warning so that one hand-edited entry cannot keep the scheduler down.
export function mergeTasks(configTasks: readonly unknown[], persisted: PersistedState, moduleBaseDir: string, log: Warn): MergeResult {
  if (!Array.isArray(configTasks)) {
    throw new SchedulerError(ErrorCodes.TASK_INVALID, 'The scheduler config field "tasks" must be an array of task definitions.', { field: 'tasks' })
  }
  const entries = new Map<string, TaskEntry>()
  for (const raw of configTasks) {
    const entry = parseNewTask(raw, entries, moduleBaseDir)
    entry.source = 'config'
    entries.set(entry.parsed.definition.name, entry)
  }
  let changed = false
  const kept: PersistedState['tasks'] = []
  for (const raw of persisted.tasks) {
    const name = (raw as { name?: unknown })?.name
    if (typeof name === 'string' && entries.get(name)?.source === 'config') {
      log.warn(`scheduler: task "${name}" is defined in the config and was also added at run time; the config definition wins.`)
      changed = true
      continue
    }
    try {
      const entry = parseNewTask(raw, entries, moduleBaseDir)
      entries.set(entry.parsed.definition.name, entry)
      kept.push(entry.parsed.definition)
    } catch (error) {
      log.warn(`scheduler: dropping a persisted task that is no longer valid: ${(error as Error).message}`)
      changed = true
    }
  }
  const enabled: Record<string, boolean> = {}
  for (const [name, value] of Object.entries(persisted.enabled)) {
    if (entries.has(name) && typeof value === 'boolean') enabled[name] = value
    else changed = true
  }
  for (const [name, entry] of entries) entry.enabled = enabled[name] ?? entry.parsed.definition.enabled ?? true
  return { entries, persisted: { tasks: kept, enabled }, changed }
}

// Validates one definition against the tasks already known; the entry starts as a runtime task.
export function parseNewTask(raw: unknown, existing: ReadonlyMap<string, TaskEntry>, moduleBaseDir: string): TaskEntry {
  const parsed = validateTask(raw)
  const { name, module } = parsed.definition
  if (existing.has(name)) {
    throw new SchedulerError(ErrorCodes.TASK_DUPLICATE, `Task "${name}" is defined twice. Task names must be unique; rename one of them.`, { task: name, field: 'name' })
  }
  if (module !== undefined) {
    const path = resolveModulePath(moduleBaseDir, module)
    if (!existsSync(path)) {
      throw new SchedulerError(ErrorCodes.MODULE_NOT_FOUND, `Task "${name}": module ${path} does not exist. Paths are relative to the scheduler's moduleBaseDir (${moduleBaseDir}).`, { task: name, field: 'module' })
    }
  }
  return { parsed, source: 'runtime', enabled: parsed.definition.enabled ?? true, counts: zeroCounts(), lastRun: null, nextRunAt: null }
}
