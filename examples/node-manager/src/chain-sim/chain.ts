// A simulated blockchain tip: a height that grows on a timer (or by hand), shared by every simulated
// node that follows it, so healthy nodes of one chain agree on the height as real ones would.
import { createHash } from 'node:crypto'

export interface ChainOptions {
  /** Height at creation. Default 0. */
  startBlock?: number
  /** A new block every this many ms; 0 (the default) means blocks only come from advance(). */
  blockIntervalMs?: number
  /** Makes block hashes differ between chains. */
  name?: string
}

export interface Chain {
  readonly name: string
  readonly height: number
  /** Mines `n` blocks at once; returns the new height. */
  advance(n?: number): number
  blockHash(height: number): string
  close(): void
}

export function createChain(options: ChainOptions = {}): Chain {
  const name = options.name ?? 'chain'
  let height = options.startBlock ?? 0
  if (!Number.isSafeInteger(height) || height < 0) throw new RangeError(`startBlock must be an integer ≥ 0, got ${height}`)
  const interval = options.blockIntervalMs ?? 0
  // unref: a simulator must never be the reason a process stays alive.
  const timer = interval > 0 ? setInterval(() => height++, interval).unref() : undefined
  return {
    name,
    get height() {
      return height
    },
    advance(n = 1) {
      if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`advance(n) needs an integer ≥ 0, got ${n}`)
      height += n
      return height
    },
    blockHash: (at) => createHash('sha256').update(`${name}:${at}`).digest('hex'),
    close() {
      if (timer) clearInterval(timer)
    },
  }
}
