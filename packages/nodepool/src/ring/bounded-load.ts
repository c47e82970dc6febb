// Consistent hashing with bounded loads (Mirrokni, Thorup, Zadimoghaddam 2018): every member takes at most
// ceil((1 + epsilon) * keys / members) keys. A key goes to the first member clockwise from its hash that still
// has room. Keys are placed in a fixed order (by hash, then by name), so the assignment depends only on the
// set of keys and the ring, never on the order the caller listed them in: every node computes the same thing.

import { hash32, type HashRing } from './hash-ring.js'

export interface BoundedLoadOptions {
  /** Allowed excess over the average load: 0.25 means no member takes more than 1.25x the average. */
  epsilon: number
}

/** The most keys one member may take: ceil((1 + epsilon) * keys / members). */
export function boundedCapacity(keys: number, members: number, epsilon: number): number {
  if (members <= 0) return 0
  return Math.ceil(((1 + epsilon) * keys) / members)
}

function checkEpsilon(epsilon: number): void {
  if (!Number.isFinite(epsilon) || epsilon < 0) {
    throw new RangeError(`epsilon must be a finite number >= 0, got ${String(epsilon)}`)
  }
}

/** Assigns every key in `keys` to a member of `ring` with bounded load. Empty ring: empty map. */
export function assignBounded(ring: HashRing, keys: Iterable<string>, epsilon: number): Map<string, string> {
  checkEpsilon(epsilon)
  const out = new Map<string, string>()
  const unique = [...new Set(keys)]
  if (ring.size === 0 || unique.length === 0) return out
  const hashed = unique.map((key) => ({ key, h: hash32(key) }))
  hashed.sort((a, b) => a.h - b.h || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
  const capacity = boundedCapacity(unique.length, ring.size, epsilon)
  const load = new Uint32Array(ring.size)
  const points = ring.pointCount
  for (const { key, h } of hashed) {
    let i = ring.pointIndexForHash(h)
    // Total capacity >= keys, and every member has points, so a member with room is found within one turn.
    for (let steps = 0; steps < points; steps++) {
      const m = ring.memberIndexAt(i)
      if (load[m]! < capacity) {
        load[m]!++
        out.set(key, ring.members[m]!)
        break
      }
      i = i + 1 === points ? 0 : i + 1
    }
  }
  return out
}

/**
 * A ring plus a bounded-load assignment of a known key set. Keys outside that set fall back to the plain
 * ring (still deterministic, but not counted in the bound).
 */
export class BoundedLoadRing {
  readonly ring: HashRing
  readonly epsilon: number
  readonly capacity: number
  readonly #assigned: Map<string, string>

  constructor(ring: HashRing, keys: Iterable<string>, options: BoundedLoadOptions) {
    this.ring = ring
    this.epsilon = options.epsilon
    this.#assigned = assignBounded(ring, keys, options.epsilon)
    this.capacity = boundedCapacity(this.#assigned.size, ring.size, options.epsilon)
  }

  get members(): readonly string[] {
    return this.ring.members
  }

  /** The member that runs `key`, or `undefined` on an empty ring. */
  get(key: string): string | undefined {
    return this.#assigned.get(key) ?? this.ring.get(key)
  }

  /** Keys of the bounded set per member (members with none included, at 0). */
  loads(): Map<string, number> {
    const loads = new Map<string, number>(this.ring.members.map((m) => [m, 0]))
    for (const member of this.#assigned.values()) loads.set(member, (loads.get(member) ?? 0) + 1)
    return loads
  }
}
