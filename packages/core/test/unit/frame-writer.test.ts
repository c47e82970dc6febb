import { expect, test } from '@jest/globals'
import type { Socket } from 'node:net'
import { FrameWriter } from '../../src/port/frame-writer.js'

// A socket that records what it is handed, with as much already waiting for the kernel as a test says.
function socket(writableLength: number) {
  const written: Buffer[] = []
  const s = { destroyed: false, writableLength, write: (b: Buffer) => (written.push(b), true), cork() {}, uncork() {} }
  return { written, socket: s as unknown as Socket }
}

// A relayed body: 5 KiB of a 64 KiB read that brought other frames too.
function relayedBody(): Buffer {
  const read = Buffer.alloc(64 * 1024, 1)
  return read.subarray(1000, 1000 + 5 * 1024)
}

test('a relayed body queued behind a peer that does not read is copied out of its read buffer, so it does not keep the whole read alive', () => {
  const { written, socket: stuck } = socket(1)
  const body = relayedBody()
  new FrameWriter(stuck).write('{"type":"event"}', body, 0)
  const queued = written.find((b) => b.length === body.length)!
  expect(queued.equals(body)).toBe(true)
  expect(queued.buffer).not.toBe(body.buffer)
  expect(queued.buffer.byteLength).toBeLessThan(2 * body.length)
})

test('without a backlog a relayed body is written as it came, without a copy', () => {
  const { written, socket: reading } = socket(0)
  const body = relayedBody()
  new FrameWriter(reading).write('{"type":"event"}', body, 0)
  expect(written.find((b) => b.length === body.length)).toBe(body)
})
