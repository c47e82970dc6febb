// What the scheduler reports about each task (taskList) and each finished run. Plain JSON: it crosses IPC.

import type { RunError } from './errors.js'
import type { TaskDefinition } from './task.js'

// Every started run ends with exactly one outcome. `timedOut` and `cancelled` are not counted as `failed`.
export type RunOutcome = 'ok' | 'failed' | 'timedOut' | 'cancelled'

export type RunTrigger = 'schedule' | 'manual'

export interface LastRun {
  at: number
  durationMs: number
  ok: boolean
  outcome: RunOutcome
  trigger: RunTrigger
  result?: unknown
  error?: RunError
}

export interface TaskCounts {
  // Started runs: runs = ok + failed + timedOut + cancelled (once no run is in flight).
  runs: number
  ok: number
  failed: number
  timedOut: number
  cancelled: number
  // Ticks dropped because the previous run of the task was still in flight.
  skipped: number
  // Ticks another node claimed (cluster mode), or whose claim failed.
  notClaimed: number
}

export interface TaskStatus {
  definition: TaskDefinition
  // 'config' tasks come from bootstrap(tasks); 'runtime' tasks were added with taskAdd and are persisted.
  source: 'config' | 'runtime'
  enabled: boolean
  running: boolean
  lastRun: LastRun | null
  counts: TaskCounts
  nextRunAt: number | null
}

export function zeroCounts(): TaskCounts {
  return { runs: 0, ok: 0, failed: 0, timedOut: 0, cancelled: 0, skipped: 0, notClaimed: 0 }
}
