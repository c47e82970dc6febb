// W3C trace context across calls: with an OpenTelemetry SDK in each service process (a user's own setup, preloaded),
// a call through gateway → checker → store is one trace of three SERVER spans, each the child of the one before —
// relayed by the manager or over a direct socket. Without an SDK, calls carry no trace at all.

import { afterEach, describe, expect, test } from '@jest/globals'
import type { ServicesManager } from '../../src/index.js'
import { fixtureManager } from './harness.js'

let manager: ServicesManager | undefined
afterEach(async () => {
  await manager?.close()
  manager = undefined
})

interface Span {
  name: string
  traceId: string
  spanId: string
  parentSpanId: string | null
  kind: number
}

const SERVER = 1 // SpanKind.SERVER
const traced = { nodeArgs: ['--import', './otel-setup.mjs'] }

async function chainSpans(direct: boolean): Promise<Span[]> {
  manager = fixtureManager({
    store: { entry: './traced.ts', ...traced, direct },
    checker: { entry: './traced.ts', ...traced, config: { next: 'store' }, dependsOn: ['store'], direct },
    gateway: { entry: './traced.ts', ...traced, config: { next: 'checker' }, dependsOn: ['checker'] },
  })
  await manager.start()
  expect(await manager.call('gateway', 'hop', 'in')).toBe('in>gateway>checker>store')
  const spans: Span[] = []
  for (const name of ['gateway', 'checker', 'store']) spans.push(...((await manager.call(name, 'spans')) as Span[]))
  return spans.filter((s) => s.name.endsWith('.hop'))
}

describe('traces across calls', () => {
  test.each([
    ['relayed by the manager', false],
    ['over direct sockets', true],
  ])('a request through three services is one trace with three spans (%s)', async (_how, direct) => {
    const [gateway, checker, store] = await chainSpans(direct)
    expect([gateway, checker, store].map((s) => s?.name)).toEqual(['gateway.hop', 'checker.hop', 'store.hop'])
    expect(new Set([gateway!.traceId, checker!.traceId, store!.traceId]).size).toBe(1)
    expect(checker!.parentSpanId).toBe(gateway!.spanId)
    expect(store!.parentSpanId).toBe(checker!.spanId)
    expect([gateway, checker, store].every((s) => s!.kind === SERVER)).toBe(true)
  })

  test('without an SDK, a service pays nothing: no span, no trace in its calls', async () => {
    manager = fixtureManager({
      store: { entry: './traced.ts' },
      gateway: { entry: './traced.ts', config: { next: 'store' }, dependsOn: ['store'] },
    })
    await manager.start()
    expect(await manager.call('gateway', 'hop', 'in')).toBe('in>gateway>store')
    expect(await manager.call('store', 'spans')).toEqual([])
  })
})
