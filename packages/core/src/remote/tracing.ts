// W3C trace context across calls. A service whose process has an OpenTelemetry SDK registered (through
// @opentelemetry/api: a tracer provider with the W3C propagator, as NodeTracerProvider.register() or the NodeSDK set
// up) gets one SERVER span per call it serves, continuing the caller's trace, and its own calls carry the traceparent
// of the span that is active when they are made. So one request through the graph is one trace.
// Without an SDK nothing is loaded and nothing is paid but one property lookup per call: the API's global registry,
// which exists only once something registered into it, is what says an SDK is there.

import { createRequire } from 'node:module'
import type * as Otel from '@opentelemetry/api'

// Where every copy of @opentelemetry/api 1.x keeps what was registered (its src/internal/global-utils.ts).
const REGISTRY = Symbol.for('opentelemetry.js.api.1')
let loaded: typeof Otel | null | undefined
// The API's tracer delegates to whichever provider is registered, now or later: one is enough.
let tracer: Otel.Tracer | undefined

function otel(): typeof Otel | null {
  if ((globalThis as Record<symbol, unknown>)[REGISTRY] === undefined) return null
  if (loaded === undefined) {
    try {
      // Synchronously, from the runner's own dependencies: a call cannot wait for an import. (This copy and the
      // service's share the registry above.)
      loaded = createRequire(import.meta.url)('@opentelemetry/api') as typeof Otel
    } catch {
      loaded = null
    }
  }
  return loaded
}

/** The traceparent to send with a call made now, if a span is active and an SDK propagates. */
export function outgoingTrace(): string | undefined {
  const api = otel()
  if (!api) return undefined
  const carrier: { traceparent?: string } = {}
  api.propagation.inject(api.context.active(), carrier)
  return carrier.traceparent
}

/** Runs a served call inside a SERVER span that continues `traceparent` (the caller's), when an SDK is there. */
export function serveTraced<T>(self: string, method: string, caller: string, traceparent: string | undefined, serve: () => Promise<T>): Promise<T> {
  const api = otel()
  if (!api) return serve()
  const parent = traceparent ? api.propagation.extract(api.ROOT_CONTEXT, { traceparent }) : api.context.active()
  const attributes = { 'rpc.system': 'services-cluster', 'rpc.service': self, 'rpc.method': method, 'svc.caller': caller }
  tracer ??= api.trace.getTracer('@services-cluster/core')
  return tracer.startActiveSpan(`${self}.${method}`, { kind: api.SpanKind.SERVER, attributes }, parent, async (span) => {
    try {
      return await serve()
    } catch (error) {
      span.recordException(error as Error)
      span.setStatus({ code: api.SpanStatusCode.ERROR, message: (error as Error)?.message })
      throw error
    } finally {
      span.end()
    }
  })
}
