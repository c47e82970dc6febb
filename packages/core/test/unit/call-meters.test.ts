// The router's accounting for the metrics: per caller, target and method, and only when metrics are on.

import { describe, expect, test } from '@jest/globals'
import { CALL_BUCKETS_S, CallMeters, MAX_CALL_KEYS, OTHER_METHOD, type CallMeter } from '../../src/manager/call-meters.js'
import { Router } from '../../src/manager/router.js'
import type { ServiceController } from '../../src/controller/service-controller.js'
import type { HostMessage } from '../../src/protocol/messages.js'

function channel() {
  const sent: HostMessage[] = []
  return { sent, controller: { send: (m: HostMessage) => (sent.push(m), true), queuedBytes: 0, inFlight: 0, callStarted() {}, callEnded() {} } as unknown as ServiceController }
}

const find = (meters: CallMeters, caller: string, target: string, method: string): CallMeter | undefined =>
  [...meters.meters()].find((m) => m.caller === caller && m.target === target && m.method === method)

describe('CallMeters', () => {
  test('a latency falls in the first bucket whose bound it does not exceed; above every bound, in the last slot', () => {
    const meters = new CallMeters()
    meters.answered('a', 'b', 'm', 0.0001, false) // on a bound: that bucket (le is "less than or equal")
    meters.answered('a', 'b', 'm', 0.003, true)
    meters.answered('a', 'b', 'm', 60, false)
    const m = find(meters, 'a', 'b', 'm')!
    expect([m.calls, m.errors, m.count]).toEqual([3, 1, 3])
    expect(m.sum).toBeCloseTo(60.0031)
    expect(m.buckets[0]).toBe(1)
    expect(m.buckets[CALL_BUCKETS_S.indexOf(0.005)]).toBe(1)
    expect(m.buckets[CALL_BUCKETS_S.length]).toBe(1)
  })

  test('calls that ended without an answer count as calls (errors when failed), not as latencies', () => {
    const meters = new CallMeters()
    meters.ended('a', 'b', 'm', true)
    meters.ended('a', '$manager', 'services', false)
    expect(find(meters, 'a', 'b', 'm')).toMatchObject({ calls: 1, errors: 1, count: 0 })
    expect(find(meters, 'a', '$manager', 'services')).toMatchObject({ calls: 1, errors: 0 })
  })

  test(`past ${MAX_CALL_KEYS} keys, new methods are counted under "${OTHER_METHOD}" (a service cannot grow them without bound)`, () => {
    const meters = new CallMeters()
    for (let i = 0; i < MAX_CALL_KEYS + 5; i++) meters.ended('a', 'b', `m${i}`, false)
    const all = [...meters.meters()]
    expect(all).toHaveLength(MAX_CALL_KEYS + 1)
    expect(find(meters, 'a', 'b', OTHER_METHOD)!.calls).toBe(5)
  })
})

describe('Router with meters', () => {
  test('counts a relayed call by caller, target and method when its answer comes back, errors included', () => {
    const a = channel()
    const b = channel()
    const meters = new CallMeters()
    const r = new Router({ target: () => ({ state: 'running', kind: 'node', pick: () => b.controller, pickLocal: () => b.controller }), mayCall: (_f, to) => to === 'b', manager: async () => 1 }, undefined, meters)
    for (const id of [1, 2]) r.fromService('a', a.controller, { type: 'request', id, to: 'b', method: 'get', args: [] })
    const [first, second] = b.sent as Extract<HostMessage, { type: 'request' }>[]
    r.fromResponse('b', b.controller, { type: 'response', id: first!.id, ok: true, value: 1 })
    r.fromResponse('b', b.controller, { type: 'response', id: second!.id, ok: false, error: { name: 'Error', message: 'no' } })
    r.fromService('a', a.controller, { type: 'request', id: 3, to: 'c', method: 'get', args: [] }) // refused: not declared
    expect(find(meters, 'a', 'b', 'get')).toMatchObject({ calls: 2, errors: 1, count: 2 })
    expect(find(meters, 'a', 'c', 'get')).toMatchObject({ calls: 1, errors: 1, count: 0 })
  })

  test('without meters (metrics off), the router counts per target only, as before', () => {
    const a = channel()
    const b = channel()
    const r = new Router({ target: () => ({ state: 'running', kind: 'node', pick: () => b.controller, pickLocal: () => b.controller }), mayCall: () => true, manager: async () => 1 })
    r.fromService('a', a.controller, { type: 'request', id: 1, to: 'b', method: 'get', args: [] })
    r.fromResponse('b', b.controller, { type: 'response', id: (b.sent[0] as { id: number }).id, ok: true, value: 1 })
    expect(r.stats('b')).toMatchObject({ count: 1, errors: 0 })
  })
})
