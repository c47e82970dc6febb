// /metrics scraped over real HTTP from a manager running real processes: the figures move as the graph does.

import { afterEach, describe, expect, test } from '@jest/globals'
import type { ServicesManager } from '../../src/index.js'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fixtureManager } from './harness.js'

let manager: ServicesManager | undefined
afterEach(async () => {
  await manager?.close()
  manager = undefined
})

type Series = Map<string, number>

// Prometheus's text format, as far as these metrics use it: `name{a="x",b="y"} value`, comments skipped. A series is
// keyed by its name and its labels in sorted order, so that a test may write them in any order.
function parse(text: string): Series {
  const series: Series = new Map()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const match = /^([a-zA-Z_:][\w:]*(?:\{.*\})?) (\S+)$/.exec(line)
    if (!match) throw new Error(`not a sample line: ${line}`)
    series.set(seriesKey(match[1]!), Number(match[2]))
  }
  return series
}

function seriesKey(series: string): string {
  const [, name, labels = ''] = /^([^{]+)(?:\{(.*)\})?$/.exec(series)!
  return `${name}{${[...labels.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => `${m[1]}="${m[2]}"`).sort().join(',')}}`
}

async function scrape(url: string): Promise<Series> {
  const response = await fetch(url)
  expect(response.status).toBe(200)
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
  return parse(await response.text())
}

const value = (series: Series, key: string): number => {
  const v = series.get(seriesKey(key))
  if (v === undefined) throw new Error(`no series ${key}; served: ${[...series.keys()].filter((k) => k.startsWith(key.split('{')[0]!)).join(' ')}`)
  return v
}

// Resolves once `count` lines of `service` have been recorded: output arrives on its own pipe, after the call's answer.
function lines(m: ServicesManager, service: string, count: number): Promise<void> {
  let seen = 0
  return new Promise((resolve) => {
    const on = (line: { service: string }) => {
      if (line.service === service && ++seen === count) {
        m.off('log', on)
        resolve()
      }
    }
    m.on('log', on)
  })
}

function usageOf(m: ServicesManager, service: string): Promise<void> {
  return new Promise((resolve) => {
    const on = (u: { service: string }) => {
      if (u.service !== service) return
      m.off('usage', on)
      resolve()
    }
    m.on('usage', on)
  })
}

describe('metrics of the whole graph', () => {
  test('served over HTTP, they follow calls, output, health checks and a SIGKILL with its recovery', async () => {
    const restart = { backoff: { initialMs: 0, jitter: 0 } }
    manager = fixtureManager(
      {
        store: { entry: './echo.ts', restart, health: { method: 'pid', intervalMs: 20 } },
        front: { entry: './echo.ts', dependsOn: ['store'], config: { next: 'store' }, restart },
      },
      { metrics: { port: 0 }, usageIntervalMs: 50 },
    )
    const announced = new Promise<string>((resolve) => manager!.once('metrics', ({ url }) => resolve(url)))
    await manager.start()
    const sampled = usageOf(manager, 'store') // a sample of the running store, not of its boot
    const url = manager.metricsUrl!
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/)
    await expect(announced).resolves.toBe(url)
    await sampled

    const before = await scrape(url)
    expect(value(before, 'svc_service_state{service="store",state="running"}')).toBe(1)
    expect(value(before, 'svc_service_state{service="store",state="crashed"}')).toBe(0)
    expect(value(before, 'svc_service_restarts_total{service="store"}')).toBe(0)
    expect(value(before, 'svc_service_memory_rss_bytes{service="store"}')).toBeGreaterThan(0)
    expect(value(before, 'svc_service_cpu_seconds_total{service="store"}')).toBeGreaterThan(0)
    expect(value(before, 'svc_service_uptime_seconds{service="store"}')).toBeGreaterThanOrEqual(0)
    expect(value(before, 'svc_manager_process_resident_memory_bytes')).toBeGreaterThan(0)

    // Calls: front → store for each call to front, and one that the store answers with an error.
    for (let i = 0; i < 5; i++) await expect(manager.call('front', 'chain', 'x')).resolves.toBe('front>store:x')
    await expect(manager.call('store', 'noSuchMethod')).rejects.toMatchObject({ code: 'SVC_ERR_UNKNOWN_METHOD' })
    const printed = lines(manager, 'store', 11)
    await manager.call('store', 'shout', 10) // 10 lines to stdout, 1 to stderr
    await printed

    // Health checks have no event of their own: scrape until one has been counted.
    let after = await scrape(url)
    for (const deadline = Date.now() + 10_000; !after.has(seriesKey('svc_service_healthy{service="store"}')) && Date.now() < deadline; ) after = await scrape(url)
    const edge = 'caller="front",method="chain",target="store"'
    expect(value(after, `svc_calls_total{${edge}}`)).toBe(5)
    expect(value(after, `svc_call_errors_total{${edge}}`)).toBe(0)
    expect(value(after, `svc_call_duration_seconds_count{${edge}}`)).toBe(5)
    expect(value(after, `svc_call_duration_seconds_bucket{${edge},le="+Inf"}`)).toBe(5)
    expect(value(after, `svc_call_duration_seconds_sum{${edge}}`)).toBeGreaterThan(0)
    expect(value(after, 'svc_calls_total{caller="(manager)",method="chain",target="front"}')).toBe(5)
    expect(value(after, 'svc_call_errors_total{caller="(manager)",method="noSuchMethod",target="store"}')).toBe(1)
    expect(value(after, 'svc_log_lines_total{service="store",stream="stdout"}')).toBe(value(before, 'svc_log_lines_total{service="store",stream="stdout"}') + 10)
    expect(value(after, 'svc_log_lines_total{service="store",stream="stderr"}')).toBe(value(before, 'svc_log_lines_total{service="store",stream="stderr"}') + 1)
    expect(value(after, 'svc_log_lines_dropped_total{service="store"}')).toBe(0)
    expect(value(after, 'svc_health_checks_total{result="passed",service="store"}')).toBeGreaterThan(0)
    expect(value(after, 'svc_service_healthy{service="store"}')).toBe(1)

    // A SIGKILL: kill() resolves once the store and its dependent run again.
    await manager.kill('store', 'SIGKILL')
    const recovered = await scrape(url)
    expect(value(recovered, 'svc_service_restarts_total{service="store"}')).toBe(1)
    expect(value(recovered, 'svc_service_last_exit_info{code="",reason="crashed",service="store",signal="SIGKILL"}')).toBe(1)
    expect(value(recovered, 'svc_service_state{service="store",state="running"}')).toBe(1)
    expect(value(recovered, 'svc_service_cpu_seconds_total{service="store"}')).toBeGreaterThanOrEqual(value(after, 'svc_service_cpu_seconds_total{service="store"}'))
    expect(value(recovered, `svc_calls_total{${edge}}`)).toBe(5) // counters survive the restart
    await manager.call('front', 'chain', 'y')
    expect(value(await scrape(url), `svc_call_duration_seconds_count{${edge}}`)).toBe(6)
  })

  test('a service of two instances has a series per instance; killing one moves its figures and only its own', async () => {
    const restart = { backoff: { initialMs: 0, jitter: 0 } }
    manager = fixtureManager({ api: { entry: './replica.ts', instances: 2, restart }, one: { entry: './echo.ts' } }, { metrics: { port: 0 } })
    await manager.start()
    const url = manager.metricsUrl!
    const before = await scrape(url)
    expect(value(before, 'svc_service_instances{service="api"}')).toBe(2)
    expect(value(before, 'svc_service_desired_instances{service="api"}')).toBe(2)
    expect(value(before, 'svc_service_instances{service="one"}')).toBe(1)
    for (const id of ['api#0', 'api#1']) {
      expect(value(before, `svc_instance_up{instance="${id}",service="api"}`)).toBe(1)
      expect(value(before, `svc_instance_inflight_calls{instance="${id}",service="api"}`)).toBe(0)
      expect(value(before, `svc_instance_restarts_total{instance="${id}",service="api"}`)).toBe(0)
    }
    expect(value(before, 'svc_instance_up{instance="one#0",service="one"}')).toBe(1)

    // A call held open on each instance is in flight on each.
    const release = join(mkdtempSync(join(tmpdir(), 'svc-metrics-')), 'release')
    const held = [manager.call('api', 'held', release), manager.call('api', 'held', release)]
    for (const deadline = Date.now() + 5_000; manager.service('api').instances.some((i) => i.inFlight !== 1) && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 10))
    const busy = await scrape(url)
    expect(value(busy, 'svc_instance_inflight_calls{instance="api#0",service="api"}')).toBe(1)
    expect(value(busy, 'svc_instance_inflight_calls{instance="api#1",service="api"}')).toBe(1)
    writeFileSync(release, '')
    await Promise.all(held)

    // The figures read the moment api#1 is down (metrics() snapshots the graph synchronously), then after its restart.
    let down: Promise<string> | undefined
    const onInstance = (c: { instance: string; to: string }) => {
      if (c.instance === 'api#1' && c.to === 'closed') down ??= manager!.metrics()
    }
    manager.on('instance', onInstance)
    await manager.kill('api#1')
    manager.off('instance', onInstance)
    const during = parse(await down!)
    expect(value(during, 'svc_instance_up{instance="api#1",service="api"}')).toBe(0)
    expect(value(during, 'svc_instance_up{instance="api#0",service="api"}')).toBe(1)
    expect(value(during, 'svc_service_instances{service="api"}')).toBe(1)
    expect(value(during, 'svc_service_desired_instances{service="api"}')).toBe(2)
    expect(value(during, 'svc_service_state{service="api",state="running"}')).toBe(1) // the service stays up
    await manager.waitFor('api', 'running')
    for (const deadline = Date.now() + 10_000; manager.service('api').instances.some((i) => i.state !== 'running') && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 10))
    const after = await scrape(url)
    expect(value(after, 'svc_instance_up{instance="api#1",service="api"}')).toBe(1)
    expect(value(after, 'svc_instance_restarts_total{instance="api#1",service="api"}')).toBe(1)
    expect(value(after, 'svc_instance_restarts_total{instance="api#0",service="api"}')).toBe(0)
    expect(value(after, 'svc_service_instances{service="api"}')).toBe(2)
  })

  test('only GET /metrics is served, and the port closes with the manager', async () => {
    manager = fixtureManager({ s: { entry: './echo.ts' } }, { metrics: { port: 0 } })
    await manager.start()
    const url = manager.metricsUrl!
    expect((await fetch(url.replace('/metrics', '/'))).status).toBe(404)
    await manager.close()
    expect(manager.metricsUrl).toBeNull()
    await expect(fetch(url)).rejects.toThrow()
  })

  test('a port that is taken fails start() with SVC_ERR_METRICS_LISTEN, naming the address', async () => {
    const first = fixtureManager({ s: { entry: './echo.ts' } }, { metrics: { port: 0 } })
    await first.start()
    try {
      const port = Number(new URL(first.metricsUrl!).port)
      manager = fixtureManager({ s: { entry: './echo.ts' } }, { metrics: { port } })
      await expect(manager.start()).rejects.toMatchObject({ code: 'SVC_ERR_METRICS_LISTEN', message: expect.stringContaining(`127.0.0.1:${port}`) })
    } finally {
      await first.close()
    }
  })

  test('metrics() gives the same text without a server; off, it says how to turn them on', async () => {
    manager = fixtureManager({ s: { entry: './echo.ts' } }, { metrics: true })
    await manager.start()
    await manager.call('s', 'echo', 1)
    expect(manager.metricsUrl).toBeNull()
    expect(value(parse(await manager.metrics()), 'svc_calls_total{caller="(manager)",method="echo",target="s"}')).toBe(1)
    await manager.close()
    manager = fixtureManager({ s: { entry: './echo.ts' } })
    await expect(manager.metrics()).rejects.toMatchObject({ code: 'SVC_ERR_METRICS_OFF', message: expect.stringContaining('{ metrics: true }') })
  })
})
