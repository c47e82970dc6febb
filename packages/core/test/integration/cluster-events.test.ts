// Events between hosts over NATS (cluster/nats-events.ts), against the real nats-server: each subscribing service
// gets each event once, whichever of its hosts takes it, with the publishing host and the payload's bytes.

import { afterEach, expect, test } from '@jest/globals'
import { randomBytes } from 'node:crypto'
import type { NatsConnection } from 'nats'
import { connectNats } from '../../src/cluster/nats-buckets.js'
import { publishEvent, subscribeEvents, type ClusterEvent } from '../../src/cluster/nats-events.js'
import { NATS_URL, natsForTests } from '../../../../test-support/nats.js'

const enabled = await natsForTests('the cross-host event tests')
const testNats = enabled ? test : test.skip
const connections: NatsConnection[] = []
afterEach(async () => {
  for (const nc of connections.splice(0)) await nc.close()
})

testNats('every subscribing service gets each event once, across its hosts; events it did not subscribe to do not reach it', async () => {
  const cluster = `t${randomBytes(3).toString('hex')}`
  const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((h) => connectNats(NATS_URL, h)))
  connections.push(a!, b!, c!)
  const got: Record<string, ClusterEvent[]> = { 'gateway@b': [], 'gateway@c': [], 'scheduler@b': [] }
  const all = 20
  let delivered = 0
  const done = new Promise<void>((resolve) => {
    const on = (key: string) => (e: ClusterEvent) => {
      got[key]!.push(e)
      if (++delivered === 2 * all) resolve()
    }
    subscribeEvents(b!, cluster, 'gateway', 'checker.v1', new Set(['nodeDown']), on('gateway@b'))
    subscribeEvents(c!, cluster, 'gateway', 'checker.v1', new Set(['nodeDown']), on('gateway@c'))
    subscribeEvents(b!, cluster, 'scheduler', 'checker.v1', new Set(['nodeDown']), on('scheduler@b'))
  })
  await Promise.all([b!.flush(), c!.flush()])
  for (let i = 0; i < all; i++) {
    publishEvent(a!, cluster, 'a', 'checker.v1', 'nodeUp', new TextEncoder().encode('ignored'))
    publishEvent(a!, cluster, 'a', 'checker.v1', 'nodeDown', new TextEncoder().encode(String(i)))
  }
  await done
  // A last round trip through every connection: nothing more arrives (no event twice, none unsubscribed).
  await Promise.all([a!.flush(), b!.flush(), c!.flush()])
  const gateway = [...got['gateway@b']!, ...got['gateway@c']!].map((e) => Number(new TextDecoder().decode(e.payload)))
  expect(gateway.sort((x, y) => x - y)).toEqual(Array.from({ length: all }, (_, i) => i))
  expect(got['scheduler@b']).toHaveLength(all)
  expect(got['scheduler@b']![0]).toMatchObject({ fromHost: 'a', source: 'checker.v1', event: 'nodeDown' })
  // Too large for NATS: refused at once, coded, naming the event.
  expect(() => publishEvent(a!, cluster, 'a', 'checker.v1', 'nodeDown', new Uint8Array(a!.info!.max_payload + 1))).toThrow(
    expect.objectContaining({ code: 'SVC_ERR_MESSAGE_TOO_LARGE', service: 'checker.v1' }),
  )
})
