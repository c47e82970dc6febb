import { afterEach, describe, expect, jest, test } from '@jest/globals'
import type { ServiceController } from '../../src/controller/service-controller.js'
import { EventFanout, type EventDrop } from '../../src/manager/event-fanout.js'
import type { HostMessage } from '../../src/protocol/messages.js'

// A stand-in for a subscriber's controller: records what is sent, with as many bytes waiting as a test says.
function channel() {
  const sent: HostMessage[] = []
  const state = { queuedBytes: 0 }
  const controller = {
    send: (m: HostMessage) => (sent.push(m), true),
    get queuedBytes() {
      return state.queuedBytes
    },
  } as unknown as ServiceController
  return { sent, state, controller }
}

function fanout(subscribers: Record<string, ReturnType<typeof channel>>, limit = 1000) {
  const drops: EventDrop[] = []
  const f = new EventFanout(
    {
      subscribersOf: () => Object.keys(subscribers),
      target: (name) => subscribers[name]?.controller ?? null,
      dropped: (drop) => drops.push(drop),
    },
    limit,
    1000,
  )
  return { f, drops }
}

const tick = (n: number) => ({ type: 'emit' as const, event: 'tick', payload: n })

afterEach(() => {
  jest.useRealTimers()
})

describe('EventFanout', () => {
  test('drops events to a subscriber with the bound or more waiting, and only to it; the others get every event', () => {
    const healthy = channel()
    const stuck = channel()
    const { f, drops } = fanout({ healthy, stuck })
    stuck.state.queuedBytes = 999
    f.emit('source', tick(1))
    stuck.state.queuedBytes = 1000
    f.emit('source', tick(2))
    f.emit('source', tick(3))
    expect(healthy.sent.map((m) => (m as { payload: number }).payload)).toEqual([1, 2, 3])
    expect(stuck.sent).toEqual([{ type: 'event', from: 'source', event: 'tick', payload: 1 }])
    expect(drops).toEqual([]) // reported later, not once per event
    f.forget('stuck') // it exited
    expect(drops).toEqual([{ subscriber: 'stuck', source: 'source', event: 'tick', count: 2, queuedBytes: 1000, limitBytes: 1000 }])
  })

  test('reports drops at most once a second while the subscriber stays stuck, counted per source and event', () => {
    jest.useFakeTimers()
    const stuck = channel()
    const { f, drops } = fanout({ stuck })
    stuck.state.queuedBytes = 5000
    for (let i = 0; i < 100; i++) f.emit('a', tick(i))
    f.emit('b', { type: 'emit', event: 'tock', payload: null })
    jest.advanceTimersByTime(999)
    expect(drops).toEqual([])
    jest.advanceTimersByTime(1)
    expect(drops.map((d) => [d.source, d.event, d.count])).toEqual([
      ['a', 'tick', 100],
      ['b', 'tock', 1],
    ])
    for (let i = 0; i < 7; i++) f.emit('a', tick(i))
    jest.advanceTimersByTime(1000)
    expect(drops.map((d) => d.count)).toEqual([100, 1, 7])
    jest.advanceTimersByTime(5000)
    expect(drops).toHaveLength(3) // nothing dropped, nothing to say
  })

  test('reports at once when the congestion ends: the next event gets through', () => {
    jest.useFakeTimers()
    const sub = channel()
    const { f, drops } = fanout({ sub })
    sub.state.queuedBytes = 2000
    f.emit('source', tick(1))
    f.emit('source', tick(2))
    sub.state.queuedBytes = 10
    f.emit('source', tick(3))
    expect(drops).toMatchObject([{ subscriber: 'sub', count: 2, queuedBytes: 2000 }])
    expect(sub.sent).toHaveLength(1)
    jest.advanceTimersByTime(5000)
    expect(drops).toHaveLength(1)
  })

  test('a subscriber that hovers at the bound (misses some, gets some) is reported once a second, not on every turn', () => {
    jest.useFakeTimers()
    const sub = channel()
    const { f, drops } = fanout({ sub })
    const turn = () => {
      sub.state.queuedBytes = 2000
      f.emit('source', tick(0))
      sub.state.queuedBytes = 10
      f.emit('source', tick(1))
      jest.advanceTimersByTime(100)
    }
    turn() // the first congestion ends: reported at once
    expect(drops.map((d) => d.count)).toEqual([1])
    for (let i = 0; i < 9; i++) turn()
    expect(drops.map((d) => d.count)).toEqual([1]) // 900 ms since that report
    turn()
    expect(drops.map((d) => d.count)).toEqual([1, 10]) // a second since that report: the next event through reports
    for (let i = 0; i < 30; i++) turn()
    expect(drops.length).toBeLessThanOrEqual(5) // 3 s more: one report a second at most
    expect(drops.reduce((n, d) => n + d.count, 0)).toBeLessThanOrEqual(41)
    f.forget('sub')
    expect(drops.reduce((n, d) => n + d.count, 0)).toBe(41) // every drop counted once
  })
})
