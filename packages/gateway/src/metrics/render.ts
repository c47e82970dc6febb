// Builds the /metrics page: the gateway's own request figures, plus one set of gauges per service
// from the manager's snapshot.

import type { ServiceSnapshot, ServiceState } from '@services-cluster/core/remote'
import { Exposition, type Labels } from './exposition.js'
import { LATENCY_BUCKETS, type RequestMetrics } from './request-metrics.js'

const STATES: ServiceState[] = ['starting', 'running', 'closing', 'closed']

export interface MetricsInput {
  requests: RequestMetrics
  /** undefined when `services()` failed; the page then says so instead of failing. */
  services: ServiceSnapshot[] | undefined
  /** undefined when Redis is not configured. */
  redisConnected: boolean | undefined
  /** Redis requests lost to another gateway's claim, and ones nobody could claim (Redis failed the SET). */
  redisClaims?: { duplicates: number; unclaimed: number } | undefined
  /** The gateway process (SVC_INSTANCE): its own series get `svc_instance`, so two processes behind one port never
   * report the same series (a scraper would see their counters as one that keeps resetting). */
  instance?: string | undefined
}

function renderRequests(out: Exposition, requests: RequestMetrics, own: Labels): void {
  out.family('svc_gateway_requests_total', 'counter', 'JSON-RPC calls answered, by method, transport and outcome.')
  const series = requests.series()
  for (const s of series) {
    out.sample('svc_gateway_requests_total', s.ok, { ...own, method: s.method, transport: s.transport, outcome: 'ok' })
    out.sample('svc_gateway_requests_total', s.error, { ...own, method: s.method, transport: s.transport, outcome: 'error' })
  }
  out.family('svc_gateway_request_duration_seconds', 'histogram', 'Time from request to answer, by method and transport.')
  for (const s of series) {
    out.histogram('svc_gateway_request_duration_seconds', LATENCY_BUCKETS, s.buckets, s.sumSeconds, {
      ...own,
      method: s.method,
      transport: s.transport,
    })
  }
  out.family('svc_gateway_http_rejections_total', 'counter', 'HTTP requests refused before JSON-RPC processing, by reason.')
  for (const [reason, count] of requests.rejections()) out.sample('svc_gateway_http_rejections_total', count, { ...own, reason })
}

function renderServices(out: Exposition, services: ServiceSnapshot[]): void {
  out.family('svc_service_up', 'gauge', '1 when the service is running, else 0.')
  for (const s of services) out.sample('svc_service_up', s.state === 'running' ? 1 : 0, { service: s.name })
  out.family('svc_service_state', 'gauge', 'The service lifecycle state (1 for the current one); `display` explains a closed one.')
  for (const s of services) {
    for (const state of STATES) {
      out.sample('svc_service_state', s.state === state ? 1 : 0, { service: s.name, state, display: s.display })
    }
  }
  out.family('svc_service_restarts_total', 'counter', 'Restarts since the manager started.')
  for (const s of services) out.sample('svc_service_restarts_total', s.restarts, { service: s.name })
  out.family('svc_service_cpu_percent', 'gauge', 'Last sampled CPU use in percent of one core.')
  for (const s of services) if (s.usage) out.sample('svc_service_cpu_percent', s.usage.cpu, { service: s.name })
  out.family('svc_service_resident_memory_bytes', 'gauge', 'Last sampled resident set size.')
  for (const s of services) if (s.usage) out.sample('svc_service_resident_memory_bytes', s.usage.rss, { service: s.name })
  out.family('svc_service_calls_total', 'counter', 'Calls the service answered (all callers).')
  for (const s of services) out.sample('svc_service_calls_total', s.calls.count, { service: s.name })
  out.family('svc_service_call_errors_total', 'counter', 'Calls the service answered with an error.')
  for (const s of services) out.sample('svc_service_call_errors_total', s.calls.errors, { service: s.name })
  out.family('svc_service_call_duration_seconds_total', 'counter', 'Total time spent in the service\'s calls.')
  for (const s of services) out.sample('svc_service_call_duration_seconds_total', s.calls.totalMs / 1000, { service: s.name })
}

export function renderMetrics(input: MetricsInput): string {
  const out = new Exposition()
  const own: Labels = input.instance === undefined ? {} : { svc_instance: input.instance }
  renderRequests(out, input.requests, own)
  if (input.redisConnected !== undefined) {
    out.family('svc_gateway_redis_connected', 'gauge', '1 while the Redis RPC channel is connected and subscribed.')
    out.sample('svc_gateway_redis_connected', input.redisConnected ? 1 : 0, own)
  }
  if (input.redisClaims) {
    out.family('svc_gateway_redis_duplicates_total', 'counter', 'Redis RPC requests another gateway claimed first (not executed here).')
    out.sample('svc_gateway_redis_duplicates_total', input.redisClaims.duplicates, own)
    out.family('svc_gateway_redis_unclaimed_total', 'counter', 'Redis RPC requests not executed because Redis failed the claim (their callers time out).')
    out.sample('svc_gateway_redis_unclaimed_total', input.redisClaims.unclaimed, own)
  }
  out.family('svc_gateway_services_scrape_ok', 'gauge', '1 when the service snapshot could be read for this scrape.')
  out.sample('svc_gateway_services_scrape_ok', input.services ? 1 : 0, own)
  if (input.services) renderServices(out, input.services)
  return out.toString()
}
