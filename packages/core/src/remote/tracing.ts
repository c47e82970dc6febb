// W3C trace context across calls. A service whose process has an OpenTelemetry SDK registered (through
// @opentelemetry/api: a tracer provider, as NodeTracerProvider.register() or the NodeSDK set up) gets one SERVER span per call it serves, continuing the caller's trace, and its own calls carry the traceparent
// of the span that is active when they are made. So one request through the graph is one trace.
// Without an SDK nothing is loaded and nothing is paid but one property lookup per call: the API's global registry,
// which exists only once something registered into it, is what says an SDK is there. SVC_TRACING=off in a service's
// environment turns this off with an SDK there too (the SDK's own cost stays: its context manager is the SDK's).

import { createRequire } from 'node:module'
import type * as Otel from '@opentelemetry/api'

// Where every copy of @opentelemetry/api 1.x keeps what was registered (its src/internal/global-utils.ts).
const REGISTRY = Symbol.for('opentelemetry.js.api.1')
let loaded: typeof Otel | null | undefined
// The API's tracer delegates to whichever provider is registered, now or later: one is enough.
let tracer: Otel.Tracer | undefined

const OFF = process.env.SVC_TRACING === 'off'

function otel(): typeof Otel | null {
  if (OFF || (globalThis as Record<symbol, unknown>)[REGISTRY] === undefined) return null
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

// The wire carries W3C's traceparent and nothing else, so it is written and read here rather than through the globally
// registered propagator (which may be B3 or another format for the service's HTTP edges, and costs more per call).
// Calls made from one served call share its context, and calls served for one caller share its traceparent: the
// last of each is kept (contexts are immutable, so the same object means the same span), so a burst of calls looks
// up, formats and parses it once.
let lastOut: { context: Otel.Context; header: string | undefined } | null = null
let lastIn: { header: string; context: Otel.Context } | null = null
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/

/** The traceparent to send with a call made now, if a span is active and an SDK is there. */
export function outgoingTrace(): string | undefined {
  const api = otel()
  if (!api) return undefined
  const active = api.context.active()
  if (lastOut?.context === active) return lastOut.header
  const span = api.trace.getSpanContext(active)
  const header = span && api.isSpanContextValid(span) ? `00-${span.traceId}-${span.spanId}-${(span.traceFlags & 0xff).toString(16).padStart(2, '0')}` : undefined
  lastOut = { context: active, header }
  return header
}

/** The context a served call continues: the caller's span, as a remote parent (the root context for a malformed one). */
function parentOf(api: typeof Otel, traceparent: string): Otel.Context {
  if (lastIn?.header === traceparent) return lastIn.context
  const m = TRACEPARENT.exec(traceparent)
  const span = m && { traceId: m[1]!, spanId: m[2]!, traceFlags: parseInt(m[3]!, 16), isRemote: true }
  const context = span && api.isSpanContextValid(span) ? api.trace.setSpanContext(api.ROOT_CONTEXT, span) : api.ROOT_CONTEXT
  lastIn = { header: traceparent, context }
  return context
}

/** Runs a served call inside a SERVER span that continues `traceparent` (the caller's), when an SDK is there. */
export function serveTraced<T>(self: string, method: string, caller: string, traceparent: string | undefined, serve: () => Promise<T>): Promise<T> {
  const api = otel()
  if (!api) return serve()
  const parent = traceparent ? parentOf(api, traceparent) : api.context.active()
  // A caller's trace that is not sampled records nothing here either (a parent-based sampler, the SDKs' default,
  // decides so anyway): its context is carried on as it came, without a span of our own — no ids drawn, no sampler.
  if (traceparent && traceparent.endsWith('-00')) return api.context.with(parent, serve)
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
