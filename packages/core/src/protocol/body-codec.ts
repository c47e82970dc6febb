// How a frame's body (a request's args, a result, an event's payload) is encoded: JSON, or V8's serializer for
// values that are mostly long strings. On Node 20, JSON.stringify of a 64 KiB string costs ≈ 150 µs and
// JSON.parse ≈ 40 µs; V8's serializer copies the characters, ≈ 25 µs each way. For anything else JSON wins: V8's
// deserializer is about twice as slow as JSON.parse on many small objects, and slower for short strings (below
// ≈ 2 KiB). Either way a service receives exactly what JSON would have given it: V8 is chosen only for values
// that JSON round-trips unchanged, and a V8 body that decodes to anything else is refused like broken JSON.

import { deserialize, serialize } from 'node:v8'

export type BodyCodec = 'json' | 'v8'

/** Below this many characters of strings in all, JSON is as fast or faster. */
export const V8_MIN_STRING_CHARS = 4096
/** Values with more parts than this are structured data, where JSON is faster: stop looking. */
const V8_MAX_PARTS = 32

/** The encoding to write `value` with. Looks at no more than V8_MAX_PARTS parts of it. */
export function chooseCodec(value: unknown): BodyCodec {
  const budget = { parts: V8_MAX_PARTS, chars: 0 }
  return isJsonStable(value, budget) && budget.chars >= V8_MIN_STRING_CHARS ? 'v8' : 'json'
}

/** Encodes with V8's serializer; null when it refuses the value (a Proxy, say), so the caller falls back to JSON. */
export function serializeV8(value: unknown): Buffer | null {
  try {
    return serialize(value)
  } catch {
    return null
  }
}

/** Decodes a body; throws on bytes that are not a body in `codec`, or a V8 body that JSON could not have carried. */
export function decodeBody(bytes: Buffer, codec: BodyCodec): unknown {
  if (codec === 'json') return JSON.parse(bytes.toString('utf8'))
  const value: unknown = deserialize(bytes)
  if (!isJsonStable(value, { parts: Infinity, chars: 0 })) throw new Error('a V8 body holding a value JSON cannot carry')
  return value
}

/**
 * True when JSON.stringify then JSON.parse would give back an equal value: strings, booleans, null, finite numbers
 * other than -0, dense arrays without extra properties, plain objects (of Object.prototype or none), no toJSON.
 * Counts parts and characters into `budget`, and gives up (false) once it runs out of parts.
 */
function isJsonStable(value: unknown, budget: { parts: number; chars: number }): boolean {
  if (--budget.parts < 0) return false
  switch (typeof value) {
    case 'string':
      budget.chars += value.length
      return true
    case 'boolean':
      return true
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0)
    case 'object': {
      if (value === null) return true
      // Prototypes are compared by shape, not identity: values decoded in one realm may be checked in another.
      if ('toJSON' in value) return false
      if (Array.isArray(value)) {
        if (value.length > budget.parts) return false
        if (Object.keys(value).length !== value.length) return false // holes, or properties JSON would drop
        for (const item of value) if (item === undefined || !isJsonStable(item, budget)) return false
        return true
      }
      const proto = Object.getPrototypeOf(value) as object | null
      if (proto !== null && Object.getPrototypeOf(proto) !== null) return false // a Date, a Map, a class instance…
      for (const key in value) {
        const item = (value as Record<string, unknown>)[key]
        if (item === undefined || !isJsonStable(item, budget)) return false
      }
      return true
    }
    default:
      return false // undefined, functions, symbols, bigints
  }
}
