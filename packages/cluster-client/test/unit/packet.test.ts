import { describe, expect, test } from '@jest/globals'
import { FrameDecoder } from '../../src/protocol/decoder.js'
import {
  decodePacket,
  decodeValue,
  encodePacket,
  encodeValue,
  HEADER_LENGTH,
  PROTOCOL_VERSION,
  type EncodeInput,
} from '../../src/protocol/packet.js'

const invoke: EncodeInput = { id: 0x1_0000_0005, isResponse: false, timeout: 3000, conn: { type: 'invoke', method: 'getData', oneway: false }, app: ['a', 1] }

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (err) {
    return (err as { code?: string }).code
  }
  return undefined
}

describe('packet layout', () => {
  test('header fields sit at the seed offsets: version, req/res, reserved, id, timeout, lengths', () => {
    const buf = encodePacket(invoke)
    const connLength = Buffer.byteLength(JSON.stringify(invoke.conn))
    expect(buf[0]).toBe(PROTOCOL_VERSION)
    expect(buf[1]).toBe(0)
    expect(buf.readUInt16BE(2)).toBe(0)
    expect(buf.readUInt32BE(4)).toBe(1)
    expect(buf.readUInt32BE(8)).toBe(5)
    expect(buf.readUInt32BE(12)).toBe(3000)
    expect(buf.readUInt32BE(16)).toBe(connLength)
    expect(buf.length).toBe(HEADER_LENGTH + connLength + buf.readUInt32BE(20))
    expect(JSON.parse(buf.toString('utf8', 24, 24 + connLength))).toEqual(invoke.conn)
  })

  test('round trip, request and response', () => {
    expect(decodePacket(encodePacket(invoke))).toEqual({ id: invoke.id, isResponse: false, timeout: 3000, conn: invoke.conn, app: ['a', 1] })
    const res = decodePacket(encodePacket({ id: 9, isResponse: true, conn: { type: 'invoke_result', ok: true } }))
    expect(res).toEqual({ id: 9, isResponse: true, timeout: 0, conn: { type: 'invoke_result', ok: true }, app: undefined })
  })

  test('strict checks: version, flag, reserved, lengths, trailing bytes, JSON, message type and fields', () => {
    const good = encodePacket(invoke)
    const mutate = (fn: (b: Buffer) => Buffer | void) => {
      const b = Buffer.from(good)
      return fn(b) ?? b
    }
    expect(codeOf(() => decodePacket(mutate((b) => void (b[0] = 2))))).toBe('SVC_ERR_CC_PROTOCOL_VERSION')
    expect(codeOf(() => decodePacket(mutate((b) => void (b[1] = 2))))).toBe('SVC_ERR_CC_BAD_FRAME')
    expect(codeOf(() => decodePacket(mutate((b) => void b.writeUInt16BE(1, 2))))).toBe('SVC_ERR_CC_BAD_FRAME')
    expect(codeOf(() => decodePacket(mutate((b) => void b.writeUInt32BE(0xffffffff, 4))))).toBe('SVC_ERR_CC_BAD_FRAME')
    expect(codeOf(() => decodePacket(good.subarray(0, good.length - 1)))).toBe('SVC_ERR_CC_FRAME_TRUNCATED')
    expect(codeOf(() => decodePacket(good.subarray(0, 10)))).toBe('SVC_ERR_CC_FRAME_TRUNCATED')
    expect(codeOf(() => decodePacket(Buffer.concat([good, Buffer.from([0])])))).toBe('SVC_ERR_CC_BAD_FRAME')
    expect(codeOf(() => decodePacket(good, 64))).toBe('SVC_ERR_CC_FRAME_TOO_LARGE')
    const withConn = (json: string) => {
      const c = Buffer.from(json)
      const h = Buffer.alloc(24)
      h[0] = PROTOCOL_VERSION
      h.writeUInt32BE(c.length, 16)
      return Buffer.concat([h, c])
    }
    expect(codeOf(() => decodePacket(withConn('{"type":')))).toBe('SVC_ERR_CC_BAD_FRAME')
    expect(codeOf(() => decodePacket(withConn('[1,2]')))).toBe('SVC_ERR_CC_BAD_FRAME')
    expect(codeOf(() => decodePacket(withConn('{"type":"launch"}')))).toBe('SVC_ERR_CC_BAD_FRAME')
    expect(codeOf(() => decodePacket(withConn('{"type":"invoke","method":1,"oneway":false}')))).toBe('SVC_ERR_CC_BAD_FRAME')
    expect(codeOf(() => decodePacket(withConn('{}')))).toBe('SVC_ERR_CC_BAD_FRAME')
    expect(decodePacket(withConn('{"type":"publish"}')).conn).toEqual({ type: 'publish' })
  })

  test('encode refuses a frame the peer would refuse', () => {
    const big = { ...invoke, app: ['x'.repeat(2048)] }
    expect(codeOf(() => encodePacket(big, 1024))).toBe('SVC_ERR_CC_FRAME_TOO_LARGE')
  })
})

describe('app object values', () => {
  test('Buffers, Dates, Errors, bigints, Maps, Sets and undefined arguments survive', () => {
    const err = Object.assign(new Error('boom'), { code: 'E_X', extra: { n: 1 } })
    const value = [
      Buffer.from([0, 1, 255]),
      new Date(1_700_000_000_000),
      err,
      10n ** 20n,
      new Map([['k', new Set([1, 2])]]),
      undefined,
      { nested: { buf: Buffer.from('hi'), skip: undefined } },
    ]
    const back = decodeValue(encodeValue(value)) as unknown[]
    expect(back).toHaveLength(7)
    expect(back[0]).toEqual(Buffer.from([0, 1, 255]))
    expect(back[1]).toEqual(new Date(1_700_000_000_000))
    expect(back[2]).toBeInstanceOf(Error)
    expect(back[2]).toMatchObject({ message: 'boom', code: 'E_X', extra: { n: 1 } })
    expect((back[2] as Error).stack).toBe(err.stack)
    expect(back[3]).toBe(10n ** 20n)
    expect(back[4]).toEqual(new Map([['k', new Set([1, 2])]]))
    expect(5 in back ? back[5] : undefined).toBeUndefined()
    expect(back[6]).toEqual({ nested: { buf: Buffer.from('hi') } })
  })

  test('user data that looks like a tag is escaped, not mistaken for one', () => {
    const value = { $cc: 'buf', d: 'aGk=', inner: [{ $cc: 'u' }] }
    expect(decodeValue(encodeValue(value))).toEqual(value)
  })

  test('plain values encode as JSON.stringify does, on either side of the fast path\'s depth limit', () => {
    const deep = (n: number): unknown => (n === 0 ? 'leaf' : { d: deep(n - 1) })
    const values = [
      'x',
      1.5,
      Number.NaN,
      true,
      null,
      [1, 'a', null, [true]],
      { a: 1, skip: undefined, nested: { list: [{ id: 1 }] } },
      Object.assign(Object.create(null) as object, { bare: 1 }),
      deep(300), // past the fast path's depth limit: tagged, same JSON
    ]
    for (const value of values) expect(encodeValue(value)).toBe(JSON.stringify(value))
  })

  test('a cyclic value is refused as JSON refuses it', () => {
    const cyclic: Record<string, unknown> = { a: 1 }
    cyclic.self = cyclic
    expect(() => encodeValue(cyclic)).toThrow(TypeError)
  })

  test('plain JSON, and strings that mention the tag, come back unchanged', () => {
    const plain = { list: [{ id: 1, name: 'a' }, { id: 2, name: null }], n: 1.5, ok: true }
    expect(decodeValue(encodeValue(plain))).toEqual(plain)
    const mentions = ['"$cc"', '{"$cc":"u"}', { text: 'a "$cc": "buf" b' }]
    expect(decodeValue(encodeValue(mentions))).toEqual(mentions)
  })
})

describe('FrameDecoder', () => {
  const frames = [
    encodePacket(invoke),
    encodePacket({ id: 2, isResponse: true, conn: { type: 'invoke_result', ok: true }, app: { big: 'y'.repeat(5000) } }),
    encodePacket({ id: 3, isResponse: false, conn: { type: 'subscribe_result', key: 'k' }, app: 1 }),
  ]
  const stream = Buffer.concat(frames)

  test('any chunking yields the same frames: byte by byte, all at once, odd splits', () => {
    const expected = frames.map((f) => decodePacket(f))
    for (const size of [1, 7, 24, 25, 4096, stream.length]) {
      const d = new FrameDecoder()
      const out = []
      for (let i = 0; i < stream.length; i += size) out.push(...d.pushAll(stream.subarray(i, i + size)))
      expect(out).toEqual(expected)
      expect(d.pending).toBe(0)
      expect(() => d.end()).not.toThrow()
    }
  })

  test('an oversized frame is refused from its header alone', () => {
    const d = new FrameDecoder(1024)
    const h = Buffer.alloc(24)
    h[0] = PROTOCOL_VERSION
    h.writeUInt32BE(10, 16)
    h.writeUInt32BE(0x7fffffff, 20)
    expect(codeOf(() => d.pushAll(h))).toBe('SVC_ERR_CC_FRAME_TOO_LARGE')
    // and stays failed
    expect(codeOf(() => d.pushAll(frames[0]!))).toBe('SVC_ERR_CC_FRAME_TOO_LARGE')
  })

  test('a stream ending mid-frame is a truncated frame', () => {
    const d = new FrameDecoder()
    expect(d.pushAll(stream.subarray(0, frames[0]!.length + 30))).toHaveLength(1)
    expect(codeOf(() => d.end())).toBe('SVC_ERR_CC_FRAME_TRUNCATED')
  })

  test('frames before a bad one are still delivered', () => {
    const d = new FrameDecoder()
    const got: unknown[] = []
    const bad = Buffer.from('GET / HTTP/1.1\r\n\r\n........')
    expect(codeOf(() => d.push(Buffer.concat([frames[0]!, bad]), (p) => got.push(p)))).toBe('SVC_ERR_CC_PROTOCOL_VERSION')
    expect(got).toHaveLength(1)
  })
})
