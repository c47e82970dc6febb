import { describe, expect, test } from '@jest/globals'
import { Router } from '../../src/manager/router.js'
import type { ServiceController } from '../../src/controller/service-controller.js'
import { MANAGER_TARGET, type HostMessage } from '../../src/protocol/messages.js'
import { RawBody } from '../../src/protocol/raw-body.js'

// A stand-in for a controller: records what the router sends down a channel.
function channel() {
  const sent: HostMessage[] = []
  let inFlight = 0
  const controller = {
    send: (m: HostMessage) => (sent.push(m), true),
    callStarted: () => inFlight++,
    callEnded: () => inFlight--,
    get inFlight() {
      return inFlight
    },
  }
  return { sent, controller: controller as unknown as ServiceController }
}

/** A running service with these instances, as the router sees it (node/service-node.ts balances in the product). */
function running(...instances: ReturnType<typeof channel>[]) {
  let turn = 0
  return { state: 'running', kind: 'node' as const, pick: () => instances[turn++ % instances.length]!.controller, pickLocal: () => instances[turn++ % instances.length]!.controller }
}

function router(calls: Record<string, string[]>, targets: Record<string, ReturnType<typeof channel>>) {
  return new Router({
    target: (name) => (targets[name] ? running(targets[name]!) : undefined),
    mayCall: (from, to) => calls[from]?.includes(to) ?? false,
    manager: async () => 'manager-answer',
  })
}

describe('Router', () => {
  test('refuses a raw request to an undeclared service; identity comes from the channel', () => {
    const a = channel()
    const c = channel()
    const r = router({ a: ['b'] }, { c })
    r.fromService('a', a.controller, { type: 'request', id: 9, to: 'c', method: 'x', args: [] })
    expect(c.sent).toHaveLength(0)
    expect(a.sent[0]).toMatchObject({ type: 'response', id: 9, ok: false, error: { code: 'SVC_ERR_ACCESS_DENIED' } })
  })

  test('re-labels ids, stamps the caller, and only lets the callee answer', () => {
    const a = channel()
    const b = channel()
    const intruder = channel()
    const r = router({ a: ['b'] }, { b })
    r.fromService('a', a.controller, { type: 'request', id: 1, to: 'b', method: 'm', args: [1] })
    const forwarded = b.sent[0] as Extract<HostMessage, { type: 'request' }>
    expect(forwarded).toMatchObject({ type: 'request', from: 'a', method: 'm', args: [1] })
    r.fromResponse('intruder', intruder.controller, { type: 'response', id: forwarded.id, ok: true, value: 'forged' })
    r.fromResponse('b', intruder.controller, { type: 'response', id: forwarded.id, ok: true, value: 'forged' }) // another channel claiming b's name
    expect(a.sent).toHaveLength(0)
    r.fromResponse('b', b.controller, { type: 'response', id: forwarded.id, ok: true, value: 'real' })
    expect(a.sent[0]).toEqual({ type: 'response', id: 1, ok: true, value: 'real' })
  })

  test('refuses a call with SVC_ERR_OVERLOADED while its target has the bound or more waiting to be delivered', () => {
    const a = channel()
    const b = channel()
    const waiting = { bytes: 0 }
    Object.defineProperty(b.controller, 'queuedBytes', { get: () => waiting.bytes })
    const r = new Router(
      { target: (name) => (name === 'b' ? running(b) : undefined), mayCall: () => true, manager: async () => null },
      1000,
    )
    waiting.bytes = 999
    r.fromService('a', a.controller, { type: 'request', id: 1, to: 'b', method: 'm', args: [] })
    waiting.bytes = 1000
    r.fromService('a', a.controller, { type: 'request', id: 2, to: 'b', method: 'm', args: [] })
    expect(b.sent).toHaveLength(1)
    expect(a.sent).toEqual([
      {
        type: 'response',
        id: 2,
        ok: false,
        error: expect.objectContaining({ code: 'SVC_ERR_OVERLOADED', service: 'b', details: { method: 'm', queuedBytes: 1000, limitBytes: 1000 } }),
      },
    ])
  })

  test('fails pending calls at once when the callee stops, and forgets cancelled ones', () => {
    const a = channel()
    const b = channel()
    const r = router({ a: ['b'] }, { b })
    r.fromService('a', a.controller, { type: 'request', id: 1, to: 'b', method: 'slow', args: [] })
    r.fromService('a', a.controller, { type: 'request', id: 2, to: 'b', method: 'cancelled', args: [] })
    r.cancel('a', 2)
    r.cancel('c', 1) // another caller's id 1: not a's call
    r.failPendingOn(b.controller, 'crashed')
    expect(a.sent).toEqual([expect.objectContaining({ id: 1, ok: false, error: expect.objectContaining({ code: 'SVC_ERR_SERVICE_CLOSED' }) })])
    expect(b.controller.inFlight).toBe(0)
  })

  test('with several instances, only the one a call went to may answer it, and the end of one fails only its own calls', () => {
    const a = channel()
    const b0 = channel()
    const b1 = channel()
    const b = running(b0, b1)
    const r = new Router({ target: (name) => (name === 'b' ? b : undefined), mayCall: () => true, manager: async () => null })
    for (const id of [1, 2, 3, 4]) r.fromService('a', a.controller, { type: 'request', id, to: 'b', method: 'm', args: [] })
    expect([b0.sent.length, b1.sent.length]).toEqual([2, 2])
    expect([b0.controller.inFlight, b1.controller.inFlight]).toEqual([2, 2])
    const onB1 = b1.sent[0] as Extract<HostMessage, { type: 'request' }>
    r.fromResponse('b', b0.controller, { type: 'response', id: onB1.id, ok: true, value: 'wrong instance' })
    expect(a.sent).toHaveLength(0)
    r.failPendingOn(b0.controller, 'exited')
    expect(a.sent.map((m) => (m as { id: number }).id).sort()).toEqual([1, 3])
    expect(a.sent.every((m) => (m as { ok: boolean }).ok === false)).toBe(true)
    r.fromResponse('b', b1.controller, { type: 'response', id: onB1.id, ok: true, value: 'right' })
    expect(a.sent[2]).toEqual({ type: 'response', id: 2, ok: true, value: 'right' })
    expect([b0.controller.inFlight, b1.controller.inFlight]).toEqual([0, 1])
  })

  test('a body that does not decode fails its own call with a coded error, and nothing else', async () => {
    const a = channel()
    const b = channel()
    const r = router({ a: ['b'] }, { b })
    const junk = new RawBody(Buffer.from('not a body'), 'v8')
    r.fromService('a', a.controller, { type: 'request', id: 1, to: MANAGER_TARGET, method: 'services', args: junk as unknown as unknown[] })
    await new Promise((resolve) => setImmediate(resolve))
    expect(a.sent[0]).toMatchObject({ type: 'response', id: 1, ok: false, error: { code: 'SVC_ERR_NOT_SERIALIZABLE' } })
    const call = r.call('b', 'm', [], 1000)
    const forwarded = b.sent[0] as Extract<HostMessage, { type: 'request' }>
    r.fromResponse('b', b.controller, { type: 'response', id: forwarded.id, ok: true, value: new RawBody(Buffer.from('{oops')) })
    await expect(call).rejects.toMatchObject({ code: 'SVC_ERR_NOT_SERIALIZABLE', service: 'b' })
  })
})
