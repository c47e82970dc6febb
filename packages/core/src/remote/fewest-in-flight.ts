// How a caller spreads its direct calls over a target's instances (sockets or NATS subjects alike).

/** The usable item with the fewest calls in flight, the search starting at `turn` so ties go in turn; null when
 * none is usable. */
export function fewestInFlight<T>(items: readonly T[], turn: number, inFlight: (item: T) => number, usable: (item: T) => boolean = () => true): T | null {
  const n = items.length
  const first = turn % Math.max(n, 1)
  let best: T | null = null
  for (let k = 0; k < n; k++) {
    const item = items[(first + k) % n]!
    if (usable(item) && (best === null || inFlight(item) < inFlight(best))) best = item
  }
  return best
}
