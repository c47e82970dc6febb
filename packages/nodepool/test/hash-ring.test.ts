import { describe, expect, test } from '@jest/globals'
import { BoundedLoadRing, HashRing, assignBounded, boundedCapacity, hash32 } from '../src/index.js'

const keys = Array.from({ length: 20_000 }, (_, i) => `job-${i}`)
const nodes = (n: number) => Array.from({ length: n }, (_, i) => `node-${i}`)

function loads(get: (k: string) => string | undefined, ks: string[]): Map<string, number> {
  const m = new Map<string, number>()
  for (const k of ks) {
    const o = get(k)!
    m.set(o, (m.get(o) ?? 0) + 1)
  }
  return m
}

describe('hash32', () => {
  test('is MurmurHash3 x86_32 of the UTF-8 bytes (reference vectors)', () => {
    expect(hash32('')).toBe(0)
    expect(hash32('hello')).toBe(0x248bfa47)
    expect(hash32('The quick brown fox jumps over the lazy dog')).toBe(0x2e4ff723)
    // non-ASCII goes through UTF-8: same as hashing the encoded bytes
    expect(hash32('é')).not.toBe(hash32('e'))
    expect(hash32('日本語'.repeat(100))).toBe(hash32('日本語'.repeat(100)))
  })
})

describe('HashRing', () => {
  test('empty ring owns nothing', () => {
    expect(new HashRing([]).get('x')).toBeUndefined()
  })

  test('one member owns everything', () => {
    const ring = new HashRing(['solo'])
    expect(keys.slice(0, 100).every((k) => ring.get(k) === 'solo')).toBe(true)
  })

  test('deterministic: member order and duplicates do not matter', () => {
    const a = new HashRing(['c', 'a', 'b', 'a'], { replicas: 64 })
    const b = new HashRing(['b', 'c', 'a'], { replicas: 64 })
    expect(a.members).toEqual(['a', 'b', 'c'])
    expect(keys.slice(0, 2000).filter((k) => a.get(k) !== b.get(k))).toEqual([])
  })

  test('rejects a bad replica count', () => {
    expect(() => new HashRing(['a'], { replicas: 0 })).toThrow(RangeError)
    expect(() => new HashRing(['a'], { replicas: 1.5 })).toThrow(RangeError)
  })

  test.each([3, 5, 10])('balance with %i members and 160 replicas: every share within 20%% of the average', (n) => {
    const ring = new HashRing(nodes(n), { replicas: 160 })
    const l = loads((k) => ring.get(k), keys)
    expect(l.size).toBe(n)
    const avg = keys.length / n
    // Measured: max/avg 1.07..1.12, min/avg 0.91..0.93 for these inputs (deterministic); 20% leaves room
    // only for the expected ~1/sqrt(160) spread, not for a broken hash.
    for (const count of l.values()) {
      expect(count / avg).toBeGreaterThan(0.8)
      expect(count / avg).toBeLessThan(1.2)
    }
  })

  test('minimal movement on join: only keys that go to the new member move, about 1/(n+1) of them', () => {
    for (const n of [3, 5, 10]) {
      const before = new HashRing(nodes(n))
      const after = before.withMember('node-new')
      let moved = 0
      const wrong: string[] = []
      for (const k of keys) {
        const a = before.get(k)
        const b = after.get(k)
        if (a !== b) {
          moved++
          if (b !== 'node-new') wrong.push(k)
        }
      }
      expect(wrong).toEqual([])
      const ideal = keys.length / (n + 1)
      expect(moved).toBeGreaterThan(ideal * 0.75)
      expect(moved).toBeLessThan(ideal * 1.25)
    }
  })

  test('minimal movement on leave: only the leaving member’s keys move', () => {
    const before = new HashRing(nodes(5))
    const after = before.withoutMember('node-2')
    let moved = 0
    const wrong: string[] = []
    for (const k of keys) {
      const a = before.get(k)
      const b = after.get(k)
      if (a !== b) {
        moved++
        if (a !== 'node-2') wrong.push(k)
      }
      if (b === 'node-2') wrong.push(k)
    }
    expect(wrong).toEqual([])
    expect(moved).toBe(loads((k) => before.get(k), keys).get('node-2'))
  })
})

describe('bounded load', () => {
  const jobs = keys.slice(0, 200)

  test('capacity is ceil((1+eps) * keys / members)', () => {
    expect(boundedCapacity(200, 5, 0.25)).toBe(50)
    expect(boundedCapacity(10, 3, 0)).toBe(4)
    expect(boundedCapacity(10, 0, 0.5)).toBe(0)
  })

  test.each([0, 0.1, 0.25, 1])('no member takes more than the bound (epsilon %f), every key assigned', (epsilon) => {
    for (const n of [2, 3, 5, 7]) {
      const b = new BoundedLoadRing(new HashRing(nodes(n)), jobs, { epsilon })
      const l = b.loads()
      const total = [...l.values()].reduce((x, y) => x + y, 0)
      expect(total).toBe(jobs.length)
      for (const count of l.values()) expect(count).toBeLessThanOrEqual(Math.ceil(((1 + epsilon) * jobs.length) / n))
    }
  })

  test('deterministic: input order and duplicates do not matter', () => {
    const ring = new HashRing(nodes(4))
    const a = assignBounded(ring, jobs, 0.1)
    const b = assignBounded(new HashRing([...nodes(4)].reverse()), [...jobs].reverse().concat(jobs.slice(0, 10)), 0.1)
    expect([...a.entries()].sort()).toEqual([...b.entries()].sort())
  })

  test('tighter than the plain ring: with epsilon 0.1 the max share drops to the bound', () => {
    const ring = new HashRing(nodes(5), { replicas: 20 })
    const plainMax = Math.max(...loads((k) => ring.get(k), jobs).values())
    const bounded = new BoundedLoadRing(ring, jobs, { epsilon: 0.1 })
    const boundedMax = Math.max(...bounded.loads().values())
    expect(boundedMax).toBeLessThanOrEqual(bounded.capacity)
    expect(boundedMax).toBeLessThanOrEqual(plainMax)
  })

  test('movement on join and leave stays small (measured ~1.2x the ideal 1/(n+1) and 1/n)', () => {
    const ring = new HashRing(nodes(5))
    const before = new BoundedLoadRing(ring, jobs, { epsilon: 0.25 })
    const joined = new BoundedLoadRing(ring.withMember('node-new'), jobs, { epsilon: 0.25 })
    const left = new BoundedLoadRing(ring.withoutMember('node-0'), jobs, { epsilon: 0.25 })
    const movedJoin = jobs.filter((k) => before.get(k) !== joined.get(k)).length
    const movedLeave = jobs.filter((k) => before.get(k) !== left.get(k)).length
    // Bounded loads can move a few keys besides those of the member that came or went (cascades of
    // full members); the paper bounds that by O(1/eps^2) per change. Allow 2x the unavoidable share.
    expect(movedJoin).toBeLessThanOrEqual((2 * jobs.length) / 6)
    expect(movedLeave).toBeLessThanOrEqual((2 * jobs.length) / 5)
    // every key of the member that left had to move
    expect(jobs.filter((k) => before.get(k) === 'node-0').every((k) => left.get(k) !== 'node-0')).toBe(true)
  })

  test('keys outside the set fall back to the plain ring', () => {
    const ring = new HashRing(nodes(3))
    const b = new BoundedLoadRing(ring, ['a', 'b'], { epsilon: 0 })
    expect(b.get('not-in-set')).toBe(ring.get('not-in-set'))
  })

  test('rejects a negative epsilon', () => {
    expect(() => assignBounded(new HashRing(['a']), ['x'], -0.1)).toThrow(RangeError)
  })
})
