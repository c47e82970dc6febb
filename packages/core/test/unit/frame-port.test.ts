import { expect, test } from '@jest/globals'
import { once } from 'node:events'
import { serialize } from 'node:v8'
import { FramePort, MAX_FRAME_BYTES } from '../../src/port/frame-port.js'
import { V8_MIN_STRING_CHARS } from '../../src/protocol/body-codec.js'
import { RawBody } from '../../src/protocol/raw-body.js'
import { socketPair } from './socket-pair.js'

type Message = Record<string, unknown>

/** Service A → manager → service B, as in a relayed call: the manager's two ends keep bodies as bytes. */
async function relay() {
  const [serviceA, managerA] = await socketPair()
  const [managerB, serviceB] = await socketPair()
  return {
    a: new FramePort<Message, Message>(serviceA, { rawBodies: false }),
    fromA: new FramePort<Message, Message>(managerA, { rawBodies: true }),
    toB: new FramePort<Message, Message>(managerB, { rawBodies: true }),
    b: new FramePort<Message, Message>(serviceB, { rawBodies: false }),
  }
}

function collect(port: FramePort<Message, Message>, count: number): Promise<Message[]> {
  const got: Message[] = []
  return new Promise((resolve) =>
    port.on('message', (m) => {
      got.push(m)
      if (got.length === count) resolve(got)
    }),
  )
}

test('a relaying end gets bodies as the exact bytes sent and passes them on unparsed; a service end parses them', async () => {
  const { a, fromA, toB, b } = await relay()
  const big = Array.from({ length: 20_000 }, (_, i) => ({ i, s: `item ${i} "quoted" é` })) // ≈ 600 KiB: many chunks
  const atManager = collect(fromA, 3)
  a.send({ type: 'request', id: 1, to: 'b', method: 'echo', args: ['small'] })
  a.send({ type: 'request', id: 2, to: 'b', method: 'echo', args: [big] })
  a.send({ type: 'state', state: 'running' })
  const [r1, r2, state] = await atManager
  expect(r1!.args).toBeInstanceOf(RawBody)
  expect((r1!.args as RawBody).bytes.toString()).toBe(JSON.stringify(['small']))
  expect(state).toEqual({ type: 'state', state: 'running' })
  const atB = collect(b, 2)
  toB.send({ type: 'request', id: 7, from: 'a', method: 'echo', args: r1!.args })
  toB.send({ type: 'request', id: 8, from: 'a', method: 'echo', args: r2!.args })
  const [m1, m2] = await atB
  expect(m1).toEqual({ type: 'request', id: 7, from: 'a', method: 'echo', args: ['small'] })
  expect(m2!.args).toEqual([big])
})

test('a long string travels V8-serialised, is relayed as those bytes, and arrives as JSON would give it', async () => {
  const { a, fromA, toB, b } = await relay()
  const text = `"é😀\ud800\n`.repeat(V8_MIN_STRING_CHARS) // ≈ 40 K characters: more than one read
  const atManager = collect(fromA, 1)
  a.send({ type: 'event', event: 'text', payload: { text, n: 1 } })
  const [event] = await atManager
  const raw = event!.payload as RawBody
  expect(raw.codec).toBe('v8')
  expect(raw.value).toEqual({ text, n: 1 }) // what the manager sees when it needs the value itself
  const atB = collect(b, 1)
  toB.send({ type: 'event', event: 'text', payload: raw })
  expect(await atB).toEqual([{ type: 'event', event: 'text', payload: JSON.parse(JSON.stringify({ text, n: 1 })) }])
})

test('frames sent in one tick, of every size and kind, arrive whole and in order; flush() puts them ahead of a direct write', async () => {
  const [x, y] = await socketPair()
  const sender = new FramePort<Message, Message>(x, { rawBodies: false })
  const receiver = new FramePort<Message, Message>(y, { rawBodies: true })
  const relayedBig = new RawBody(Buffer.from(JSON.stringify(['r'.repeat(10_000)]))) // too big to copy: written apart
  const bigText = Array.from({ length: 3000 }, (_, i) => `é${i}`) // JSON text beyond the slab's frame limit
  const sent: Message[] = []
  for (let i = 0; i < 100; i++) {
    // Cycles through: small, relayed small, relayed big, big JSON text, V8 string, no body.
    const kinds: Message[] = [
      { type: 'request', id: i, to: 'b', method: 'm', args: [i] },
      { type: 'request', id: i, to: 'b', method: 'm', args: new RawBody(Buffer.from(`[${i}]`)) },
      { type: 'request', id: i, to: 'b', method: 'm', args: relayedBig },
      { type: 'request', id: i, to: 'b', method: 'm', args: bigText },
      { type: 'response', id: i, ok: true, value: 'v'.repeat(5000) },
      { type: 'state', state: 'running' },
    ]
    const m = kinds[i % kinds.length]!
    sent.push(m)
    sender.send(m)
  }
  sender.flush()
  x.write(Buffer.from([2, 0, 0, 0, 0, 0, 0, 0, 0x7b, 0x7d])) // a frame written straight to the socket: {} after them
  const got = await collect(receiver, 101)
  expect(got.map((m) => JSON.parse(JSON.stringify(m)))).toEqual([...sent.map((m) => JSON.parse(JSON.stringify(m))), {}])
})

test('an undefined result travels without a body; a value that cannot be serialised throws and writes nothing', async () => {
  const [x, y] = await socketPair()
  const service = new FramePort<Message, Message>(x, { rawBodies: false })
  const manager = new FramePort<Message, Message>(y, { rawBodies: true })
  const got = collect(manager, 2)
  expect(() => service.send({ type: 'response', id: 1, ok: true, value: 10n })).toThrow()
  service.send({ type: 'response', id: 2, ok: true, value: undefined })
  service.send({ type: 'response', id: 3, ok: true, value: null })
  const [undef, nul] = await got
  expect(undef).toEqual({ type: 'response', id: 2, ok: true })
  expect((nul!.value as RawBody).value).toBeNull()
  expect(JSON.stringify(nul)).toBe('{"type":"response","id":3,"ok":true,"value":null}') // RawBody serialises as its value
})

test('bytes that are not frames, a header that is not one, or a frame larger than the limit, close the channel', async () => {
  const notJson = Buffer.concat([Buffer.from([5, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{oops')])
  const tooLarge = Buffer.from([0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0])
  const unknownHead = Buffer.from([9, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0]) // neither `{` nor a compact kind
  for (const junk of [notJson, tooLarge, unknownHead]) {
    const [x, y] = await socketPair()
    const port = new FramePort<Message, Message>(y, { rawBodies: true })
    const closed = once(port, 'close')
    x.write(junk)
    await closed
    expect(port.closed).toBe(true)
    expect(port.send({ type: 'state', state: 'running' })).toBe(false)
  }
  expect(0x7fffffff).toBeGreaterThan(MAX_FRAME_BYTES)
})

test('a service end drops a message whose relayed body is broken or not a JSON value, and keeps the channel', async () => {
  const [x, y] = await socketPair()
  const service = new FramePort<Message, Message>(y, { rawBodies: false })
  const got = collect(service, 2)
  const broken = new FramePort<Message, Message>(x, { rawBodies: true })
  broken.send({ type: 'request', id: 1, from: 'a', method: 'm', args: new RawBody(Buffer.from('[oops')) })
  broken.send({ type: 'request', id: 2, from: 'a', method: 'm', args: new RawBody(Buffer.from('[1]')) })
  broken.send({ type: 'request', id: 3, from: 'a', method: 'm', args: new RawBody(serialize([new Map()]), 'v8') })
  broken.send({ type: 'request', id: 4, from: 'a', method: 'm', args: new RawBody(Buffer.from('junk'), 'v8') })
  broken.send({ type: 'request', id: 5, from: 'a', method: 'm', args: new RawBody(serialize([2]), 'v8') })
  expect(await got).toEqual([
    { type: 'request', id: 2, from: 'a', method: 'm', args: [1] },
    { type: 'request', id: 5, from: 'a', method: 'm', args: [2] },
  ])
  expect(service.closed).toBe(false)
})

test('the other end closing is a close', async () => {
  const [x, y] = await socketPair()
  const port = new FramePort<Message, Message>(y, { rawBodies: true })
  const closed = once(port, 'close')
  x.end()
  await closed
})

test('a message over the limit is refused by its sender with SVC_ERR_MESSAGE_TOO_LARGE; nothing is written and the channel stays open', async () => {
  const [x, y] = await socketPair()
  const sender = new FramePort<Message, Message>(x, { rawBodies: false, maxFrameBytes: 1000 })
  const receiver = new FramePort<Message, Message>(y, { rawBodies: true, maxFrameBytes: 1000 })
  const got = collect(receiver, 1)
  const tooLarge = { code: 'SVC_ERR_MESSAGE_TOO_LARGE', details: expect.objectContaining({ limitBytes: 1000 }) }
  expect(() => sender.send({ type: 'request', id: 1, to: 'b', method: 'm', args: ['é'.repeat(500)] })).toThrow(expect.objectContaining(tooLarge)) // JSON
  expect(() => sender.send({ type: 'response', id: 2, ok: true, value: 'x'.repeat(V8_MIN_STRING_CHARS) })).toThrow(expect.objectContaining(tooLarge)) // V8
  expect(() => sender.send({ type: 'request', id: 3, to: 'b', method: 'm', args: new RawBody(Buffer.alloc(1000)) })).toThrow(expect.objectContaining(tooLarge)) // relayed
  expect(() => sender.send({ type: 'state', state: 'closed', error: { name: 'E', message: 'm'.repeat(1000) } })).toThrow(expect.objectContaining(tooLarge)) // header
  // 'é' is one UTF-16 unit and two UTF-8 bytes: measured exactly when near the limit, so this one fits.
  sender.send({ type: 'request', id: 4, to: 'b', method: 'm', args: ['é'.repeat(450)] })
  const [m] = await got
  expect(m).toMatchObject({ id: 4 })
  expect(receiver.closed).toBe(false)
})

test('an unfinished frame that gets no further within partialFrameTimeoutMs closes the channel, and says why', async () => {
  const [x, y] = await socketPair()
  const port = new FramePort<Message, Message>(y, { rawBodies: true, partialFrameTimeoutMs: 50 })
  const got = collect(port, 1)
  const closed = once(port, 'close')
  const whole = Buffer.concat([Buffer.from([2, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{}')])
  x.write(Buffer.concat([whole, Buffer.from([100, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{"type"')])) // one frame, then a cut one
  expect(await got).toEqual([{}])
  await closed
  expect(port.violation).toBe('an unfinished frame: 15 of its 108 bytes arrived, then nothing for 50 ms')
})

test('a channel closed for bytes that are not frames says why; one closed by either end has no violation', async () => {
  const [x, y] = await socketPair()
  const port = new FramePort<Message, Message>(y, { rawBodies: true })
  const closed = once(port, 'close')
  x.write(Buffer.from([0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0]))
  await closed
  expect(port.violation).toBe(`a frame of ${0x7fffffff} bytes, over the limit of ${MAX_FRAME_BYTES}`)
  const [a, b] = await socketPair()
  const plain = new FramePort<Message, Message>(b, { rawBodies: true, partialFrameTimeoutMs: 50 })
  const plainClosed = once(plain, 'close')
  a.destroy()
  await plainClosed
  expect(plain.violation).toBeNull()
})
