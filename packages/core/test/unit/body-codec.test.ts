import { describe, expect, test } from '@jest/globals'
import { serialize } from 'node:v8'
import { chooseCodec, decodeBody, serializeV8, V8_MIN_STRING_CHARS } from '../../src/protocol/body-codec.js'

const long = 'x'.repeat(V8_MIN_STRING_CHARS)
// Everything JSON has to escape or encode: quotes, control characters, non-ASCII, an emoji, lone surrogates.
const awkward = `"\\\n\t\u0000é€😀\ud800 \udc00`.repeat(Math.ceil(V8_MIN_STRING_CHARS / 10))

describe('chooseCodec', () => {
  test('values made mostly of long strings go by V8; short or structured ones by JSON', () => {
    expect(chooseCodec(long)).toBe('v8')
    expect(chooseCodec([long])).toBe('v8')
    expect(chooseCodec({ text: awkward, n: 1, ok: true, none: null, list: ['a', 2] })).toBe('v8')
    expect(chooseCodec([long.slice(1)])).toBe('json')
    expect(chooseCodec(['small', 1, true])).toBe('json')
    // Many small parts: V8's deserializer is slower than JSON.parse on those.
    expect(chooseCodec([long, ...Array.from({ length: 40 }, (_, i) => ({ i }))])).toBe('json')
  })

  test('anything JSON would change goes by JSON, so a service receives what JSON would have given it', () => {
    const sparse = [long]
    sparse[2] = 'x'
    const withProperty = Object.assign([long], { extra: 1 })
    const cyclic: Record<string, unknown> = { long }
    cyclic.self = cyclic
    for (const value of [
      [long, NaN],
      [long, Infinity],
      [long, -0],
      [long, undefined],
      { long, skipped: undefined },
      [long, new Date(0)],
      [long, Buffer.from('x')],
      [long, new Map()],
      [long, 1n],
      [long, () => 1],
      { long, toJSON: () => 'other' },
      sparse,
      withProperty,
      cyclic,
    ]) {
      expect(chooseCodec(value)).toBe('json')
    }
  })

  test('it stops looking after a few parts, however big the value', () => {
    const huge = Array.from({ length: 1_000_000 }, () => long)
    expect(chooseCodec(huge)).toBe('json')
  })
})

describe('decodeBody', () => {
  test('a V8 body decodes to what the JSON body of the same value does', () => {
    for (const value of [long, [awkward], { text: awkward, nested: { list: [long, 1.5, false, null] } }]) {
      expect(chooseCodec(value)).toBe('v8')
      const viaV8 = decodeBody(serializeV8(value)!, 'v8')
      expect(viaV8).toEqual(JSON.parse(JSON.stringify(value)))
      expect(JSON.stringify(viaV8)).toBe(JSON.stringify(value))
    }
  })

  test('a V8 body holding what JSON cannot carry is refused, like broken JSON', () => {
    for (const value of [[long, new Map()], [long, undefined], [long, NaN], [long, new Date(0)], [long, new Uint8Array(2)]]) {
      expect(() => decodeBody(serialize(value), 'v8')).toThrow(/JSON cannot carry/)
    }
    expect(() => decodeBody(Buffer.from('not v8 at all'), 'v8')).toThrow()
    expect(() => decodeBody(Buffer.from('[oops'), 'json')).toThrow(SyntaxError)
  })

  test('a value V8 will not serialise is left to JSON', () => {
    expect(serializeV8(new Proxy({ long }, {}))).toBeNull()
  })
})
