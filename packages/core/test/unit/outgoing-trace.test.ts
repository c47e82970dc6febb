// The traceparent a call carries is the one of the span active when it is made — also when the last one is cached
// (remote/tracing.ts keeps it by context object): switching spans, nesting them and leaving them must each show.

import { expect, test } from '@jest/globals'
import { context, trace, type Span } from '@opentelemetry/api'
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node'
import { outgoingTrace } from '../../src/remote/tracing.js'

new NodeTracerProvider().register()
const tracer = trace.getTracer('test')
const header = (span: Span): string => `00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`

test('each call carries the span active at that moment, and none outside a span', () => {
  expect(outgoingTrace()).toBeUndefined()
  tracer.startActiveSpan('a', (a) => {
    expect(outgoingTrace()).toBe(header(a))
    expect(outgoingTrace()).toBe(header(a)) // the cached one
    tracer.startActiveSpan('b', (b) => {
      expect(outgoingTrace()).toBe(header(b))
      context.with(trace.setSpan(context.active(), a), () => expect(outgoingTrace()).toBe(header(a)))
      b.end()
    })
    expect(outgoingTrace()).toBe(header(a))
    a.end()
  })
  expect(outgoingTrace()).toBeUndefined()
})
