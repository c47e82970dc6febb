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
  // Cluster mode, scheduled runs: the slot, the claim's fencing token, and whether the claim still held when
  // the run ended (false: this node's lease lapsed during the run; see counts.unconfirmed).
  claim?: { slot: number; token: number; confirmed: boolean }
}

// What a call task with `call.withRun: true` receives as its last argument.
export interface RunInfo {
  task: string
  trigger: RunTrigger
  // Scheduled runs: when the run was due, and its slot. Null for manual runs (taskRun).
  scheduledAt: number | null
  slot: number | null
  // Cluster mode: the claim's fencing token (increases per task). Null without a cluster or for manual runs.
  token: number | null
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
  // Ticks another node claimed (cluster mode), or whose claim failed or was refused.
  notClaimed: number
  // Of notClaimed: claims refused because they were made too long after the slot was due (cluster mode).
  lateRejected: number
  // Runs whose claim no longer held at the end of the run (cluster mode): this node's registration lapsed
  // during the run, so another node may have run the same task meanwhile.
  unconfirmed: number
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
  return { runs: 0, ok: 0, failed: 0, timedOut: 0, cancelled: 0, skipped: 0, notClaimed: 0, lateRejected: 0, unconfirmed: 0 }
}
