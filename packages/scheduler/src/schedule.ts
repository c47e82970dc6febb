// When a task runs next, and which cluster slot a run belongs to.
//
// `every` runs are aligned to multiples of the interval since the Unix epoch, not to when the scheduler
// started: every node of a cluster then computes the same run times, and slot = floor(time / everyMs)
// names the same run everywhere. Missed runs (process paused, clock jumped) are not caught up.

import { CronExpressionParser } from 'cron-parser'
import type { ParsedTask } from './task.js'

// The first run time strictly after `after`.
export function nextRunAfter(task: ParsedTask, after: number): number {
  if (task.everyMs !== undefined) {
    return (Math.floor(after / task.everyMs) + 1) * task.everyMs
  }
  const { cron, tz } = task.definition
  // currentDate is exclusive in cron-parser: next() returns a time strictly after it.
  return CronExpressionParser.parse(cron as string, { currentDate: after, tz }).next().getTime()
}

// The slot a RunGate sees for a run scheduled at `scheduledAt`.
export function slotOf(task: ParsedTask, scheduledAt: number): number {
  return task.everyMs !== undefined ? Math.floor(scheduledAt / task.everyMs) : scheduledAt
}
