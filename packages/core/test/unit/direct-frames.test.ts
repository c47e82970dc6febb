import { expect, test } from '@jest/globals'
import { readFrames, writeFrame } from '../../src/remote/frames.js'
import { socketPair } from './socket-pair.js'

// The framing of direct calls, over a real Unix socket.
test('frames written in one tick, many more than one batch, arrive in order; one that cannot be serialised throws and is not sent', async () => {
  const [a, b] = await socketPair()
  const got: unknown[] = []
  const all = new Promise<void>((resolve) =>
    readFrames(
      b,
      (frame) => {
        got.push(frame)
        if (got.length === 100) resolve()
      },
      (why) => got.push(`bad: ${why}`),
    ),
  )
  const sent: unknown[] = []
  for (let i = 0; i < 100; i++) {
    if (i === 50) expect(() => writeFrame(a, { t: 'call', id: -1, args: [1n] })).toThrow()
    const frame = { t: 'call', id: i, method: 'm', args: [i % 7 === 0 ? 'é'.repeat(10_000) : i] }
    writeFrame(a, frame)
    sent.push(frame)
  }
  await all
  expect(got).toEqual(sent)
})
