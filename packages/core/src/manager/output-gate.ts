// Keeps a flood of output from one service from costing the manager unbounded CPU or memory:
// a token bucket per service; lines over the rate are dropped and counted, and one marker line
// says how many were dropped: before the next line let through, or when the owner calls report() (after a drop
// the owner does that on a timer and at exit, so drops at the end of a burst are reported too).

export class OutputGate {
  #tokens: number
  #last = performance.now()
  #dropped = 0

  constructor(
    private readonly linesPerSecond = 10_000,
    private readonly burst = 20_000,
  ) {
    this.#tokens = burst
  }

  /** Lines to record for this one: [] (dropped), [line], or [marker, line] after a drop. */
  admit(line: string): string[] {
    const now = performance.now()
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) * this.linesPerSecond) / 1000)
    this.#last = now
    if (this.#tokens < 1) {
      this.#dropped++
      return []
    }
    this.#tokens--
    const marker = this.report()
    return marker === null ? [line] : [marker, line]
  }

  /** The marker for the lines dropped and not yet reported, if any; they count as reported from now on. */
  report(): string | null {
    if (this.#dropped === 0) return null
    const marker = `[svc] ${this.#dropped} lines dropped: output exceeded ${this.linesPerSecond} lines/s`
    this.#dropped = 0
    return marker
  }

  /** Lines dropped and not yet reported by a marker. */
  get pendingDrops(): number {
    return this.#dropped
  }
}
