import { expect, test } from '@jest/globals'
import { asCompact, compactHeadMax, readHead, writeCompactHead, type CompactMessage } from '../../src/port/frame-head.js'

/** The header a frame carries for `message` (whose body, if any, is not part of it): compact, or JSON. */
function encode(message: Record<string, unknown>): Buffer {
  const compact = asCompact(message)
  if (!compact) return Buffer.from(JSON.stringify(message))
  const buf = Buffer.alloc(compactHeadMax(compact))
  return buf.subarray(0, writeCompactHead(compact, buf, 0))
}

test('the messages a call is made of get a compact header that decodes to the same message', () => {
  const messages = [
    { type: 'request', id: 1, to: 'echo', method: 'echo' },
    { type: 'request', id: 2 ** 40 + 1, from: 'caller', method: 'ping' },
    { type: 'request', id: 3, to: 'café-😀', method: 'größe' }, // UTF-8 names and methods
    { type: 'request', id: 4, from: 'x'.repeat(85), method: 'm'.repeat(20_000) }, // the longest name; any method
    { type: 'request', id: 5, to: 'b', method: '' },
    { type: 'request', id: 6, to: '€'.repeat(85), method: 'm' }, // 255 bytes: the most a name may take
    { type: 'response', id: 7, ok: true },
    // A traced call carries the caller's W3C traceparent in the compact header too.
    { type: 'request', id: 8, to: 'store', method: 'get', trace: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
    { type: 'request', id: 9, from: 'checker', method: 'get', trace: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
    { type: 'request', id: 10, from: 'é', method: 'größe', trace: '' },
  ]
  for (const message of messages) {
    const head = encode(message)
    expect(head[0]).not.toBe(0x7b) // not JSON
    expect(head.length).toBeLessThanOrEqual(compactHeadMax(message as CompactMessage))
    expect(readHead(head, 0, head.length)).toEqual(message)
  }
})

test('every other message, and a name too long for its length byte, keeps a JSON header', () => {
  const messages = [
    { type: 'response', id: 1, ok: false, error: { name: 'Error', message: 'no' } },
    { type: 'request', id: 2, to: 'é'.repeat(86), method: 'm' },
    { type: 'request', id: 'not a number', to: 'b', method: 'm' },
    { type: 'request', id: 3, method: 'm' },
    { type: 'request', id: 5, to: 'b', method: 'm', trace: 't'.repeat(256) }, // longer than its length byte
    { type: 'request', id: 6, to: 'b', method: 'm', trace: 'tracé' }, // not the ASCII a traceparent is
    { type: 'request', id: 7, to: 'b', method: 'm', trace: 7 },
    { type: 'state', state: 'running' },
    { type: 'cancel', id: 4 },
  ]
  for (const message of messages) {
    expect(asCompact(message)).toBeNull()
    const head = encode(message)
    expect(readHead(head, 0, head.length)).toEqual(message)
  }
})

test('a header that is neither compact nor JSON is refused', () => {
  const ok = encode({ type: 'request', id: 1, to: 'echo', method: 'm' })
  const lyingName = Buffer.from(ok)
  lyingName[9] = 200 // a name longer than the header
  const junk = [
    Buffer.from([9, 0, 0, 0, 0, 0, 0, 0, 0]), // neither a compact kind nor JSON
    ok.subarray(0, 5), // shorter than kind + id
    Buffer.concat([encode({ type: 'response', id: 1, ok: true }), Buffer.from([0])]), // a response with trailing bytes
    lyingName,
    Buffer.from('{oops'),
  ]
  expect(readHead(Buffer.from('"text"'), 0, 6)).toBe('text') // JSON, if not a message: the port's user reports it
  for (const head of junk) expect(() => readHead(head, 0, head.length)).toThrow()
})
