// Time as the scheduler sees it. Injectable so tests can drive schedules with a fake clock.

export type TimerHandle = unknown

export interface Clock {
  now(): number
  setTimeout(fn: () => void, ms: number): TimerHandle
  clearTimeout(handle: TimerHandle): void
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
}

// Node timers overflow past 2^31-1 ms (about 24.8 days) and fire at once; long waits are re-armed in steps.
export const MAX_TIMER_MS = 2_147_483_647
