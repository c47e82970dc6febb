// One timer per enabled task, always pointing at the task's next run time.

import { MAX_TIMER_MS, type Clock } from './clock.js'
import { nextRunAfter } from './schedule.js'
import type { TaskEntry } from './task-set.js'

export type FireFunction = (entry: TaskEntry, scheduledAt: number) => Promise<void>

export class Timers {
  readonly #clock: Clock
  readonly #fire: FireFunction
  readonly #active: () => boolean
  readonly #onError: (error: unknown) => void

  constructor(clock: Clock, fire: FireFunction, active: () => boolean, onError: (error: unknown) => void) {
    this.#clock = clock
    this.#fire = fire
    this.#active = active
    this.#onError = onError
  }

  // (Re)computes the next run of an enabled task and waits for it; a disabled task gets no timer.
  arm(entry: TaskEntry): void {
    this.clear(entry)
    if (!entry.enabled || !this.#active()) return
    const at = nextRunAfter(entry.parsed, this.#clock.now())
    entry.nextRunAt = at
    this.#wait(entry, at)
  }

  clear(entry: TaskEntry): void {
    if (entry.timer !== undefined) this.#clock.clearTimeout(entry.timer)
    entry.timer = undefined
    entry.nextRunAt = null
  }

  #wait(entry: TaskEntry, at: number): void {
    const delay = Math.min(Math.max(0, at - this.#clock.now()), MAX_TIMER_MS)
    entry.timer = this.#clock.setTimeout(() => {
      entry.timer = undefined
      // Woken early: a wait longer than a Node timer allows, or a timer that fired a millisecond early.
      if (this.#clock.now() < at) return this.#wait(entry, at)
      // The next tick is armed before this one runs, so a slow run never shifts the schedule.
      this.arm(entry)
      this.#fire(entry, at).catch(this.#onError)
    }, delay)
  }
}
