// A clock the test moves by hand. Timers fire in time order; after each one the promise chains it
// started get to settle, so "advance 5 s" means "everything that would have happened in 5 s happened".

import type { Clock, TimerHandle } from '../../src/clock.js'

interface FakeTimer {
  at: number
  seq: number
  fn: () => void
}

export class FakeClock implements Clock {
  #now: number
  #seq = 0
  readonly #timers = new Map<number, FakeTimer>()
  // Every delay ever requested, to check that long waits are split.
  readonly delays: number[] = []

  constructor(start = 0) {
    this.#now = start
  }

  now(): number {
    return this.#now
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = ++this.#seq
    this.delays.push(ms)
    this.#timers.set(id, { at: this.#now + Math.max(0, ms), seq: id, fn })
    return id
  }

  clearTimeout(handle: TimerHandle): void {
    this.#timers.delete(handle as number)
  }

  get pending(): number {
    return this.#timers.size
  }

  // Moves time without firing anything, as when the event loop is blocked.
  jump(ms: number): void {
    this.#now += ms
  }

  async advance(ms: number): Promise<void> {
    await this.advanceTo(this.#now + ms)
  }

  async advanceTo(end: number): Promise<void> {
    for (;;) {
      const due = [...this.#timers.entries()]
        .filter(([, timer]) => timer.at <= end)
        .sort(([, a], [, b]) => a.at - b.at || a.seq - b.seq)[0]
      if (due === undefined) break
      const [id, timer] = due
      this.#timers.delete(id)
      // A timer overdue after jump() fires late, at the current time, as a real one would.
      this.#now = Math.max(this.#now, timer.at)
      timer.fn()
      await settle()
    }
    this.#now = end
    await settle()
  }
}

// Lets every promise chain that is ready to run, run (a few macrotask turns cover chains of awaits).
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve))
}
