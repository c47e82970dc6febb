// The last N output lines of a service, in a fixed-size ring.

export interface LogLine {
  at: number
  service: string
  stream: 'stdout' | 'stderr'
  line: string
}

export class LogBuffer {
  readonly #lines: (LogLine | undefined)[]
  #next = 0
  #size = 0

  constructor(readonly capacity: number) {
    this.#lines = new Array(capacity)
  }

  push(line: LogLine): void {
    this.#lines[this.#next] = line
    this.#next = (this.#next + 1) % this.capacity
    if (this.#size < this.capacity) this.#size++
  }

  /** The newest `limit` lines, oldest first. */
  tail(limit = this.capacity): LogLine[] {
    const n = Math.min(limit, this.#size)
    const out: LogLine[] = []
    for (let i = this.#size - n; i < this.#size; i++) {
      out.push(this.#lines[(this.#next - this.#size + i + this.capacity) % this.capacity]!)
    }
    return out
  }
}

/** The newest `limit` lines of several lists each oldest first, oldest first. */
export function mergeByTime(lists: LogLine[][], limit: number): LogLine[] {
  return lists
    .flat()
    .sort((a, b) => a.at - b.at)
    .slice(-limit)
}
