// The HTTP rules around JSON-RPC: media type, body limit, auth, routes, health, metrics, lifecycle.

import { describe, expect, test } from '@jest/globals'
import { Agent } from 'node:http'
import { Gateway } from '../src/index.js'
import { coded, FakeBackend, snapshot } from './helpers/fake-backend.js'
import { startGateway } from './helpers/gateway.js'
import { request, rpc } from './helpers/http.js'

const call = { jsonrpc: '2.0', method: 'checker.echo', params: ['x'], id: 1 }

describe('content type', () => {
  test.each([['text/plain'], ['application/x-www-form-urlencoded'], [undefined]])('%p is refused with 415', async (type) => {
    const { base, backend } = await startGateway()
    const res = await request(`${base}/rpc`, { method: 'POST', headers: type ? { 'content-type': type } : {}, body: JSON.stringify(call) })
    expect(res.status).toBe(415)
    expect(res.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32600, data: { code: 'SVC_ERR_GW_CONTENT_TYPE' } }, id: null })
    expect(backend.calls).toHaveLength(0)
  })

  test.each([['application/json; charset=utf-8'], ['Application/JSON'], ['application/json-rpc']])('%p is accepted', async (type) => {
    const { base } = await startGateway()
    const res = await request(`${base}/rpc`, { method: 'POST', headers: { 'content-type': type }, body: JSON.stringify(call) })
    expect(res.json()).toEqual({ jsonrpc: '2.0', result: ['x'], id: 1 })
  })
})

describe('body size limit', () => {
  const big = JSON.stringify({ ...call, params: ['y'.repeat(5000)] })

  test('a body over the limit is 413 with a JSON-RPC error, whether Content-Length says so or not', async () => {
    const { base, backend } = await startGateway({ bodyLimit: 1024 })
    for (const chunked of [false, true]) {
      const res = await request(`${base}/rpc`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: big, chunked })
      expect(res.status).toBe(413)
      expect(res.json()).toMatchObject({ error: { code: -32002, data: { code: 'SVC_ERR_GW_BODY_TOO_LARGE', limit: 1024 } }, id: null })
    }
    expect(backend.calls).toHaveLength(0)
  })

  test('a body just under the limit is served', async () => {
    const body = JSON.stringify({ ...call, params: ['z'.repeat(900)] })
    const { base } = await startGateway({ bodyLimit: Buffer.byteLength(body) })
    expect((await rpc(base, body)).status).toBe(200)
  })
})

describe('bearer token', () => {
  const token = 's3cret-token'

  test.each([
    ['no header', {}],
    ['a wrong token', { authorization: 'Bearer nope' }],
    ['a token of another length', { authorization: `Bearer ${token}x` }],
    ['another scheme', { authorization: `Basic ${token}` }],
  ])('%s is 401 with WWW-Authenticate', async (_what, headers) => {
    const { base, backend } = await startGateway({ token })
    const res = await rpc(base, call, headers)
    expect(res.status).toBe(401)
    expect(res.headers['www-authenticate']).toBe('Bearer realm="gateway"')
    expect(res.json()).toMatchObject({ error: { code: -32001, data: { code: 'SVC_ERR_GW_UNAUTHORIZED' } }, id: null })
    expect(backend.calls).toHaveLength(0)
  })

  test('the right token is served; /metrics needs it too, /healthz does not', async () => {
    const { base } = await startGateway({ token })
    expect((await rpc(base, call, { authorization: `Bearer ${token}` })).json().result).toEqual(['x'])
    expect((await request(`${base}/metrics`)).status).toBe(401)
    expect((await request(`${base}/metrics`, { headers: { authorization: `bearer ${token}` } })).status).toBe(200)
    expect((await request(`${base}/healthz`)).status).toBe(200)
  })
})

describe('routes', () => {
  test('an unknown path is 404', async () => {
    const { base } = await startGateway()
    const res = await request(`${base}/nope`)
    expect(res.status).toBe(404)
    expect(res.json().error.code).toBe('SVC_ERR_GW_NOT_FOUND')
  })

  test.each([['GET', '/rpc', 'POST'], ['PUT', '/rpc', 'POST'], ['POST', '/healthz', 'GET'], ['DELETE', '/metrics', 'GET']])(
    '%s %s is 405 with Allow: %s',
    async (method, path, allow) => {
      const { base } = await startGateway()
      const res = await request(`${base}${path}`, { method })
      expect(res.status).toBe(405)
      expect(res.headers.allow).toBe(allow)
    },
  )

  test('a query string does not change the route', async () => {
    const { base } = await startGateway()
    expect((await request(`${base}/rpc?x=1`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(call) })).status).toBe(200)
  })

  test('keep-alive connections serve many requests', async () => {
    const { base } = await startGateway()
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    try {
      for (let i = 0; i < 5; i++) {
        const res = await request(`${base}/rpc`, { method: 'POST', agent, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...call, id: i }) })
        expect(res.json().id).toBe(i)
      }
    } finally {
      agent.destroy()
    }
  })
})

describe('GET /healthz', () => {
  test('all services running is 200 ok with the graph', async () => {
    const { base } = await startGateway()
    const res = await request(`${base}/healthz`)
    expect(res.status).toBe(200)
    expect(res.json()).toEqual({
      status: 'ok',
      redis: 'disabled',
      services: [
        { name: 'checker', state: 'running', display: 'running', pid: 1000, restarts: 0 },
        { name: 'gateway', state: 'running', display: 'running', pid: 1000, restarts: 0 },
      ],
    })
  })

  test('a service that is not running makes it 503 unhealthy', async () => {
    const backend = new FakeBackend()
    backend.snapshots = [snapshot('checker', { state: 'closed', display: 'crashed', pid: null, restarts: 2 }), snapshot('gateway')]
    const { base } = await startGateway({}, backend)
    const res = await request(`${base}/healthz`)
    expect(res.status).toBe(503)
    expect(res.json()).toMatchObject({ status: 'unhealthy', services: [{ name: 'checker', display: 'crashed', restarts: 2 }, { name: 'gateway' }] })
  })

  test('an unreadable graph is 503 unknown', async () => {
    const backend = new FakeBackend()
    backend.services = () => Promise.reject(coded('SVC_ERR_X', 'manager gone'))
    const { base } = await startGateway({}, backend)
    const res = await request(`${base}/healthz`)
    expect(res.status).toBe(503)
    expect(res.json()).toMatchObject({ status: 'unknown', error: expect.stringContaining('manager gone') })
  })
})

describe('GET /metrics', () => {
  test('Prometheus 0.0.4 text with request counts, latency histogram and per-service gauges', async () => {
    const backend = new FakeBackend({ 'checker.fail': () => Promise.reject(coded('SVC_ERR_X', 'x')) })
    backend.snapshots = [
      snapshot('checker', { restarts: 3, usage: { at: 1, cpu: 12.5, rss: 1234 }, calls: { count: 9, errors: 1, totalMs: 1500 } }),
      snapshot('gateway', { state: 'starting', display: 'starting', usage: null }),
    ]
    const { base } = await startGateway({ expose: ['checker.*'] }, backend)
    await rpc(base, [{ ...call, id: 1 }, { ...call, id: 2 }, { jsonrpc: '2.0', method: 'checker.fail', id: 3 }, { jsonrpc: '2.0', method: 'evil"\n.x', id: 4 }])
    const res = await request(`${base}/metrics`)
    expect(res.status).toBe(200)
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8')
    const text = res.text
    expect(text).toContain('# HELP svc_gateway_requests_total ')
    expect(text).toContain('# TYPE svc_gateway_requests_total counter')
    expect(text).toContain('svc_gateway_requests_total{method="checker.echo",transport="http",outcome="ok"} 2')
    expect(text).toContain('svc_gateway_requests_total{method="checker.fail",transport="http",outcome="error"} 1')
    // A client-chosen method name never becomes a label value.
    expect(text).toContain('svc_gateway_requests_total{method="(unexposed)",transport="http",outcome="error"} 1')
    expect(text).not.toContain('evil')
    expect(text).toContain('# TYPE svc_gateway_request_duration_seconds histogram')
    expect(text).toContain('svc_gateway_request_duration_seconds_bucket{method="checker.echo",transport="http",le="+Inf"} 2')
    expect(text).toContain('svc_gateway_request_duration_seconds_count{method="checker.echo",transport="http"} 2')
    expect(text).toContain('svc_service_up{service="checker"} 1')
    expect(text).toContain('svc_service_up{service="gateway"} 0')
    expect(text).toContain('svc_service_state{service="gateway",state="starting",display="starting"} 1')
    expect(text).toContain('svc_service_restarts_total{service="checker"} 3')
    expect(text).toContain('svc_service_cpu_percent{service="checker"} 12.5')
    expect(text).toContain('svc_service_resident_memory_bytes{service="checker"} 1234')
    expect(text).not.toContain('svc_service_cpu_percent{service="gateway"}')
    expect(text).toContain('svc_service_call_duration_seconds_total{service="checker"} 1.5')
    expect(text).toContain('svc_gateway_services_scrape_ok 1')
    // Histogram buckets are cumulative and never decrease.
    const buckets = [...text.matchAll(/svc_gateway_request_duration_seconds_bucket\{method="checker\.echo",transport="http",le="[^"]+"\} (\d+)/g)].map((m) => Number(m[1]))
    expect(buckets.length).toBeGreaterThan(5)
    expect([...buckets].sort((a, b) => a - b)).toEqual(buckets)
    // Every sample line belongs to a family declared with HELP and TYPE.
    const declared = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]))
    for (const line of text.split('\n').filter((l) => l && !l.startsWith('#'))) {
      const name = line.split(/[{ ]/, 1)[0]!.replace(/_(bucket|sum|count)$/, '')
      expect(declared.has(name) || declared.has(line.split(/[{ ]/, 1)[0]!)).toBe(true)
    }
  })

  test('an unreadable graph still serves the gateway metrics and says so', async () => {
    const backend = new FakeBackend()
    backend.services = () => Promise.reject(new Error('gone'))
    const { base } = await startGateway({}, backend)
    const res = await request(`${base}/metrics`)
    expect(res.status).toBe(200)
    expect(res.text).toContain('svc_gateway_services_scrape_ok 0')
    expect(res.text).not.toContain('svc_service_up')
  })

  test('a bug while answering costs that request a 500, never the process', async () => {
    const backend = new FakeBackend()
    backend.services = () => Promise.resolve([null] as never)
    const { base, lines } = await startGateway({}, backend)
    const res = await request(`${base}/metrics`)
    expect(res.status).toBe(500)
    expect(res.json()).toMatchObject({ error: { code: -32603, data: { code: 'SVC_ERR_GW_INTERNAL' } } })
    expect(lines.some(([level]) => level === 'error')).toBe(true)
    expect((await rpc(base, call)).status).toBe(200)
  })
})

describe('which process answered (the instance option, SVC_INSTANCE under the framework)', () => {
  test('every response carries x-svc-instance; /healthz, stats() and the gateway\'s own metric series name it', async () => {
    const gateway = new Gateway({ backend: new FakeBackend(), config: { port: 0, expose: ['checker.echo'] }, instance: '1' })
    await gateway.start()
    try {
      const base = gateway.url!
      expect((await rpc(base, call)).headers['x-svc-instance']).toBe('1')
      expect((await request(`${base}/nowhere`)).headers['x-svc-instance']).toBe('1')
      const health = await request(`${base}/healthz`)
      expect(health.headers['x-svc-instance']).toBe('1')
      expect(health.json()).toMatchObject({ instance: '1' })
      expect(gateway.stats().instance).toBe('1')
      const text = (await request(`${base}/metrics`)).text
      expect(text).toContain('svc_gateway_requests_total{svc_instance="1",method="checker.echo",transport="http",outcome="ok"} 1')
      expect(text).toContain('svc_gateway_http_rejections_total{svc_instance="1",reason="not_found"} 1')
      expect(text).toContain('svc_service_up{service="checker"} 1') // the manager's view: the same from every process
    } finally {
      await gateway.stop()
    }
  })

  test('a lone gateway (no instance) sends no such header and no label', async () => {
    const { gateway, base } = await startGateway()
    await rpc(base, call)
    expect((await request(`${base}/healthz`)).headers).not.toHaveProperty('x-svc-instance')
    expect((await request(`${base}/metrics`)).text).toContain('svc_gateway_requests_total{method="checker.echo",transport="http",outcome="ok"} 1')
    expect(gateway.stats().instance).toBeNull()
  })
})

describe('lifecycle and config', () => {
  test('start twice is a coded state error; stop is idempotent; stats reflect the calls', async () => {
    const { gateway, base } = await startGateway()
    await expect(gateway.start()).rejects.toMatchObject({ code: 'SVC_ERR_GW_STATE' })
    await rpc(base, call)
    expect(gateway.stats()).toMatchObject({ state: 'running', url: base, methods: { 'checker.echo': { count: 1, errors: 0 } }, redis: null })
    expect(gateway.address().port).toBe(Number(new URL(base).port))
    await Promise.all([gateway.stop(), gateway.stop()])
    expect(gateway.state).toBe('stopped')
    await expect(request(`${base}/healthz`)).rejects.toThrow()
    expect(() => gateway.address()).toThrow(expect.objectContaining({ code: 'SVC_ERR_GW_STATE' }))
  })

  test('a taken port is a coded listen error', async () => {
    const { gateway } = await startGateway()
    const second = new Gateway({ backend: new FakeBackend(), config: { port: gateway.address().port, expose: ['a.b'] } })
    await expect(second.start()).rejects.toMatchObject({ code: 'SVC_ERR_GW_LISTEN' })
    await second.stop()
  })

  test('stop lets an in-flight request finish', async () => {
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    const backend = new FakeBackend({ 'checker.slow': async () => { await gate; return 'done' } })
    const { gateway, base } = await startGateway({ expose: ['checker.*'] }, backend)
    const pending = rpc(base, { jsonrpc: '2.0', method: 'checker.slow', id: 1 })
    await backend.waitForCalls(1)
    const stopped = gateway.stop()
    release()
    expect((await pending).json().result).toBe('done')
    await stopped
  })

  test.each([
    [undefined, 'config'],
    [{ expose: ['a.b'] }, 'port'],
    [{ port: 70000, expose: ['a.b'] }, 'port'],
    [{ port: 0 }, 'expose'],
    [{ port: 0, expose: [] }, 'expose'],
    [{ port: 0, expose: ['nodot'] }, 'expose[0]'],
    [{ port: 0, expose: ['a.b', 'Bad Name.x'] }, 'expose[1]'],
    [{ port: 0, expose: ['rpc.discover'] }, 'expose[0]'],
    [{ port: 0, expose: [{ pattern: 'a.b', minParams: 2, maxParams: 1 }] }, 'expose[0]'],
    [{ port: 0, expose: ['a.b'], bodyLimit: 0 }, 'bodyLimit'],
    [{ port: 0, expose: ['a.b'], token: '' }, 'token'],
    [{ port: 0, expose: ['a.b'], redis: { channel: '' } }, 'redis.channel'],
  ])('config %j is refused naming %s', (config, field) => {
    expect(() => new Gateway({ backend: new FakeBackend(), config: config as never })).toThrow(
      expect.objectContaining({ code: 'SVC_ERR_GW_CONFIG', facts: { field } }),
    )
  })
})
