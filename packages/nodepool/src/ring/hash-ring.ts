// Consistent-hash ring with virtual nodes. Pure: no I/O, no clock, no randomness. The same members and
// replica count give the same ring in every process, whatever order the members were given in.

const encoder = new TextEncoder()
let scratch = new Uint8Array(256)

/** Bytes of `s` in UTF-8, in a shared scratch buffer (valid until the next call). */
function utf8(s: string): { bytes: Uint8Array; length: number } {
  // ASCII fast path: no allocation, no encoder call.
  const n = s.length
  if (n * 3 > scratch.length) scratch = new Uint8Array(n * 3 + 16)
  let ascii = true
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i)
    if (c > 0x7f) {
      ascii = false
      break
    }
    scratch[i] = c
  }
  if (ascii) return { bytes: scratch, length: n }
  const { written } = encoder.encodeInto(s, scratch)
  return { bytes: scratch, length: written }
}

/** MurmurHash3 (x86, 32-bit) of the UTF-8 bytes of `key`: an unsigned 32-bit integer. */
export function hash32(key: string, seed = 0): number {
  const { bytes, length } = utf8(key)
  let h = seed >>> 0
  const c1 = 0xcc9e2d51
  const c2 = 0x1b873593
  const blocks = length & ~3
  for (let i = 0; i < blocks; i += 4) {
    let k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24)
    k = Math.imul(k, c1)
    k = (k << 15) | (k >>> 17)
    k = Math.imul(k, c2)
    h ^= k
    h = (h << 13) | (h >>> 19)
    h = (Math.imul(h, 5) + 0xe6546b64) | 0
  }
  const rest = length & 3
  if (rest > 0) {
    let k = 0
    if (rest === 3) k ^= bytes[blocks + 2]! << 16
    if (rest >= 2) k ^= bytes[blocks + 1]! << 8
    k ^= bytes[blocks]!
    k = Math.imul(k, c1)
    k = (k << 15) | (k >>> 17)
    k = Math.imul(k, c2)
    h ^= k
  }
  h ^= length
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

export interface HashRingOptions {
  /** Virtual nodes per member. More gives better balance and a bigger ring. Default 160. */
  replicas?: number
}

export const DEFAULT_REPLICAS = 160

/**
 * An immutable ring. Build a new one when membership changes (`withMember`, `withoutMember` or the
 * constructor); lookups are a hash and a binary search.
 */
export class HashRing {
  readonly replicas: number
  /** Members, sorted and de-duplicated. */
  readonly members: readonly string[]
  /** Point positions on the ring, ascending. */
  readonly #points: Uint32Array
  /** Index into `members` of the owner of each point. */
  readonly #owners: Uint32Array

  constructor(members: Iterable<string>, options: HashRingOptions = {}) {
    const replicas = options.replicas ?? DEFAULT_REPLICAS
    if (!Number.isInteger(replicas) || replicas < 1) {
      throw new RangeError(`replicas must be a positive integer, got ${String(replicas)}`)
    }
    this.replicas = replicas
    this.members = [...new Set(members)].sort()
    const total = this.members.length * replicas
    const hashes = new Float64Array(total)
    const memberOf = new Uint32Array(total)
    const order = new Uint32Array(total)
    let p = 0
    for (let m = 0; m < this.members.length; m++) {
      const name = this.members[m]!
      for (let r = 0; r < replicas; r++) {
        hashes[p] = hash32(`${name}#${r}`)
        memberOf[p] = m
        order[p] = p
        p++
      }
    }
    // Ties (two virtual nodes on the same position) are broken by member name, then replica index,
    // so the result never depends on input order.
    order.sort((a, b) => hashes[a]! - hashes[b]! || memberOf[a]! - memberOf[b]! || a - b)
    this.#points = new Uint32Array(total)
    this.#owners = new Uint32Array(total)
    for (let i = 0; i < total; i++) {
      this.#points[i] = hashes[order[i]!]!
      this.#owners[i] = memberOf[order[i]!]!
    }
  }

  get size(): number {
    return this.members.length
  }

  /** Number of virtual nodes on the ring. */
  get pointCount(): number {
    return this.#points.length
  }

  /** Index of the first point at or after `h` (wrapping to 0). Only valid on a non-empty ring. */
  pointIndexForHash(h: number): number {
    const points = this.#points
    let lo = 0
    let hi = points.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (points[mid]! < h) lo = mid + 1
      else hi = mid
    }
    return lo === points.length ? 0 : lo
  }

  /** Member index owning point `i`. */
  memberIndexAt(i: number): number {
    return this.#owners[i]!
  }

  /** The member that owns `key`, or `undefined` on an empty ring. */
  get(key: string): string | undefined {
    if (this.#points.length === 0) return undefined
    return this.members[this.#owners[this.pointIndexForHash(hash32(key))]!]
  }

  /** A new ring with `member` added (same replicas). */
  withMember(member: string): HashRing {
    return new HashRing([...this.members, member], { replicas: this.replicas })
  }

  /** A new ring with `member` removed (same replicas). */
  withoutMember(member: string): HashRing {
    return new HashRing(
      this.members.filter((m) => m !== member),
      { replicas: this.replicas },
    )
  }
}
