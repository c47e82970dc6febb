// The dashboard's HTTP server against a real ServicesManager (child processes from test/fixtures): the token
// on every route, the live event stream, the log stream, the actions and their errors, and bad input.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { connect } from 'node:net'
import type { ServicesManager } from '@services-cluster/core'
import { EXCEPTION_LINE, managerSource, startDashboard, type Dashboard, type DashboardEvent, type LogEvent, type ServiceView } from '../src/index.js'
import { createHash } from 'node:crypto'
import { VENDOR } from '../src/server/assets.js'
import { EventReader } from './helpers/event-stream.js'
import { closeManagers, fixtureManager, service } from './helpers/manager.js'

let manager: ServicesManager
let dashboard: Dashboard
let base: string
const readers: EventReader<unknown>[] = []

beforeAll(async () => {
  manager = fixtureManager(
    {
      db: service([], { restart: { policy: 'on-failure', backoff: { initialMs: 50 } } }),
      api: service(['db'], { restart: 'on-failure' }),
      web: service(['api'], { restart: 'on-failure' }),
    },
    { usageIntervalMs: 100 },
  )
  await manager.start()
  dashboard = await startDashboard({ source: managerSource(manager) })
  base = `http://127.0.0.1:${dashboard.port}`
})

afterAll(async () => {
  for (const r of readers) r.close()
  await dashboard?.close()
  await closeManagers()
})

function read<M>(path: string, init?: RequestInit): EventReader<M> {
  const reader = new EventReader<M>(`${base}${path}`, init)
  readers.push(reader as EventReader<unknown>)
  return reader
}

const auth = () => ({ 'x-svc-token': dashboard.token })

describe('the token', () => {
  it('is printed in the URL, on 127.0.0.1 only', () => {
    expect(dashboard.url).toBe(`http://127.0.0.1:${dashboard.port}/?token=${dashboard.token}`)
    expect(dashboard.token).toMatch(/^[A-Za-z0-9_-]{32}$/)
  })

  it('is required by every route: 401 without it or with a wrong one', async () => {
    for (const path of ['/', '/dashboard.css', '/ui/main.js', '/protocol.js', '/vendor/dagre.js', '/events', '/events/logs?service=db', '/api/services', '/api/logs?service=db', '/nope']) {
      const bare = await fetch(`${base}${path}`)
      expect([path, bare.status]).toEqual([path, 401])
      expect(((await bare.json()) as { error: { code: string } }).error.code).toBe('SVC_ERR_DASHBOARD_UNAUTHORIZED')
      const wrong = await fetch(`${base}${path}${path.includes('?') ? '&' : '?'}token=${dashboard.token.slice(1)}x`)
      expect([path, wrong.status]).toEqual([path, 401])
      await wrong.body?.cancel()
    }
    const post = await fetch(`${base}/api/services/db/restart`, { method: 'POST' })
    expect(post.status).toBe(401)
    expect(manager.service('db').restarts).toBe(0)
  })

  it('opens the page, which sets an HttpOnly, SameSite=Strict cookie for its own assets', async () => {
    const page = await fetch(dashboard.url)
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(page.headers.get('cache-control')).toBe('no-store')
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'")
    expect(await page.text()).toContain('<script type="module" src="/ui/main.js">')
    const cookie = page.headers.get('set-cookie')!
    expect(cookie).toBe(`svc_dashboard_${dashboard.port}=${dashboard.token}; Path=/; HttpOnly; SameSite=Strict`)

    const script = await fetch(`${base}/ui/main.js`, { headers: { cookie: cookie.split(';')[0]! } })
    expect(script.status).toBe(200)
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    const css = await fetch(`${base}/dashboard.css`, { headers: auth() })
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8')
    const missing = await fetch(`${base}/ui/../../package.json`, { headers: auth() })
    expect(missing.status).toBe(404)
  })

  it("serves dagre's browser build under the name the page's import map gives it, admitted by its hash alone", async () => {
    const page = await fetch(dashboard.url)
    const html = await page.text()
    const importMap = /<script type="importmap">([\s\S]*?)<\/script>/.exec(html)![1]!
    expect(JSON.parse(importMap)).toEqual({ imports: VENDOR })
    const hash = createHash('sha256').update(importMap).digest('base64')
    // The page's own policy admits that one inline script; every other answer admits none.
    expect(page.headers.get('content-security-policy')).toContain(`script-src 'self' 'sha256-${hash}';`)
    const css = await fetch(`${base}/dashboard.css`, { headers: auth() })
    expect(css.headers.get('content-security-policy')).toContain("script-src 'self';")
    const dagre = await fetch(`${base}${VENDOR['@dagrejs/dagre']}`, { headers: auth() })
    expect(dagre.status).toBe(200)
    expect(dagre.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    // One self-contained ES module: the page can resolve no further bare import.
    const code = await dagre.text()
    expect(code).toMatch(/export\s*\{[^}]*\bas default\b/)
    expect(code).not.toMatch(/\bfrom\s*["'][^./]/)
  })

  it('is not enough as a cookie for an action: that needs the header (no cross-site requests)', async () => {
    const response = await fetch(`${base}/api/services/db/restart`, { method: 'POST', headers: { cookie: `svc_dashboard_${dashboard.port}=${dashboard.token}` } })
    expect(response.status).toBe(401)
    expect(manager.service('db').restarts).toBe(0)
  })
})

describe('the live event stream', () => {
  it('starts with every service and the usage history, then reports a crash and the recovery', async () => {
    // The history is there before the page opens: wait for one sample of db.
    await new Promise<void>((resolve) => manager.once('usage', () => resolve()))
    const events = read<DashboardEvent>(`/events?token=${dashboard.token}`)
    const snapshot = (await events.next((m) => m.type === 'snapshot', 'the snapshot')) as Extract<DashboardEvent, { type: 'snapshot' }>
    expect(events.headers?.get('content-type')).toBe('text/event-stream; charset=utf-8')
    expect(snapshot.services.map((s) => [s.name, s.display, s.dependsOn])).toEqual([
      ['db', 'running', []],
      ['api', 'running', ['db']],
      ['web', 'running', ['api']],
    ])
    expect(Object.values(snapshot.history).flat().length).toBeGreaterThan(0)
    expect(snapshot.info).toMatchObject({ pid: process.pid, historyLength: 120 })

    const before = manager.service('db').pid
    manager.kill('db', 'SIGKILL')
    const isService = (name: string, test: (s: ServiceView) => boolean) => (m: DashboardEvent) => m.type === 'service' && m.service.name === name && test(m.service)
    const crashed = await events.next(isService('db', (s) => s.display === 'crashed' || s.display === 'restarting'), 'db crashed')
    expect((crashed as { service: ServiceView }).service.lastExit).toMatchObject({ reason: 'crashed', signal: 'SIGKILL' })
    // The cascade: dependents close (web before api), then everything comes back in dependency order.
    await events.next(isService('web', (s) => s.state === 'closed'), 'web closed by the cascade')
    await events.next(isService('web', (s) => s.state === 'running'), 'web running again')
    const order = events.messages.flatMap((m) => (m.type === 'service' ? [`${m.service.name}:${m.service.state}`] : []))
    expect(order.indexOf('web:closed')).toBeLessThan(order.indexOf('api:closed'))
    expect(order.lastIndexOf('db:running')).toBeLessThan(order.lastIndexOf('api:running'))
    const db = manager.service('db')
    expect(db.pid).not.toBe(before)
    expect(db.restarts).toBe(1)
    await events.next((m) => m.type === 'usage', 'a usage batch')
  })

  it('streams a service log: the tail first, then new lines, exception reports among them', async () => {
    await manager.call('api', 'say', 'before the page opened')
    const log = read<LogEvent>(`/events/logs?service=api&limit=50&token=${dashboard.token}`)
    const tail = await log.next((m) => m.type === 'tail', 'the tail')
    expect(tail.type === 'tail' && tail.lines.map((l) => l.line)).toContain('before the page opened')
    await manager.call('api', 'say', 'after the page opened')
    await log.next((m) => m.type === 'lines' && m.lines.some((l) => l.line === 'after the page opened'), 'the new line')
    const lines = log.messages.flatMap((m) => (m.type === 'tail' || m.type === 'lines' ? m.lines : []))
    expect(lines.filter((l) => l.line === 'before the page opened')).toHaveLength(1)

    // An uncaught exception: the manager writes its report into the log, which the page highlights.
    const webLog = read<LogEvent>(`/events/logs?service=web&limit=0&token=${dashboard.token}`)
    await webLog.next((m) => m.type === 'tail', 'the tail of web')
    const back = new Promise<void>((resolve) => {
      const onState = (c: { service: string; to: string }) => {
        if (c.service !== 'web' || c.to !== 'running') return
        manager.off('state', onState)
        resolve()
      }
      manager.on('state', onState)
    })
    await manager.call('web', 'throwSoon', 'the disk is on fire')
    const report = await webLog.next((m) => m.type === 'lines' && m.lines.some((l) => EXCEPTION_LINE.test(l.line)), 'the exception report')
    expect(report.type === 'lines' && report.lines.find((l) => EXCEPTION_LINE.test(l.line))).toMatchObject({
      stream: 'stderr',
      line: '[svc] uncaughtException: the disk is on fire',
    })
    await back // restarted by its policy before the next test

    const json = await fetch(`${base}/api/logs?service=api&limit=5`, { headers: auth() })
    const body = (await json.json()) as { lines: { line: string }[] }
    expect(body.lines.length).toBeLessThanOrEqual(5)
    expect(body.lines.at(-1)!.line).toBe('after the page opened')
  })
})

describe('actions', () => {
  const post = (path: string) => fetch(`${base}${path}`, { method: 'POST', headers: auth() })

  it('restart goes through the manager: dependents close first, everything runs again, new pids', async () => {
    const before = manager.services().map((s) => s.pid)
    const from = manager.timeline().length
    const response = await post('/api/services/api/restart')
    expect(response.status).toBe(200)
    const { services } = (await response.json()) as { services: ServiceView[] }
    expect(services.map((s) => [s.name, s.display])).toEqual([
      ['db', 'running'],
      ['api', 'running'],
      ['web', 'running'],
    ])
    const changes = manager.timeline().slice(from).map((c) => `${c.service}:${c.to}`)
    expect(changes.indexOf('web:closed')).toBeLessThan(changes.indexOf('api:closing'))
    expect(changes.indexOf('api:running')).toBeLessThan(changes.indexOf('web:starting'))
    expect(changes.some((c) => c.startsWith('db:'))).toBe(false)
    const after = manager.services().map((s) => s.pid)
    expect(after[0]).toBe(before[0])
    expect(after[1]).not.toBe(before[1])
    expect(after[2]).not.toBe(before[2])
  })

  it('stop closes dependents first and leaves them stopped; start brings dependencies up first', async () => {
    const stop = await post('/api/services/api/stop')
    expect(stop.status).toBe(200)
    expect(manager.services().map((s) => s.display)).toEqual(['running', 'stopped', 'stopped'])
    const start = await post('/api/services/web/start')
    expect(start.status).toBe(200)
    expect(manager.services().map((s) => s.display)).toEqual(['running', 'running', 'running'])
  })

  it('answers coded JSON errors that name the service', async () => {
    const unknown = await post('/api/services/nope/restart')
    expect(unknown.status).toBe(404)
    expect(await unknown.json()).toEqual({
      error: { code: 'SVC_ERR_UNKNOWN_SERVICE', message: 'There is no service "nope". Known services: db, api, web.', service: 'nope' },
    })
    const verb = await post('/api/services/db/explode')
    expect(verb.status).toBe(404)
    expect(((await verb.json()) as { error: { message: string } }).error.message).toBe('Unknown action "explode": use start, stop, restart.')
    const get = await fetch(`${base}/api/services/db/restart`, { headers: auth() })
    expect(get.status).toBe(405)
    const encoding = await post('/api/services/%E0%A4%A/start')
    expect(encoding.status).toBe(400)
    const logs = await fetch(`${base}/api/logs?service=ghost`, { headers: auth() })
    expect(logs.status).toBe(404)
    expect(((await logs.json()) as { error: { message: string } }).error.message).toContain('"ghost"')
    const limit = await fetch(`${base}/api/logs?service=db&limit=-1`, { headers: auth() })
    expect(limit.status).toBe(400)
  })
})

describe('robustness', () => {
  it('survives garbage on the socket and clients that vanish mid-stream', async () => {
    const garbage = await new Promise<string>((resolve, reject) => {
      const socket = connect(dashboard.port, '127.0.0.1', () => socket.write('NOT HTTP AT ALL\r\n\r\n'))
      let answer = ''
      socket.on('data', (d) => (answer += d.toString()))
      socket.on('end', () => resolve(answer))
      socket.on('error', reject)
    })
    expect(garbage).toMatch(/^HTTP\/1.1 400/)

    const quitter = read<DashboardEvent>(`/events?token=${dashboard.token}`)
    await quitter.next((m) => m.type === 'snapshot', 'the snapshot')
    quitter.close()
    const logQuitter = read<LogEvent>(`/events/logs?service=db&token=${dashboard.token}`)
    await logQuitter.next((m) => m.type === 'tail', 'the tail')
    logQuitter.close()
    await manager.call('db', 'say', 'nobody is listening')

    const still = await fetch(`${base}/api/services`, { headers: auth() })
    expect(still.status).toBe(200)
    expect(((await still.json()) as ServiceView[]).map((s) => s.name)).toEqual(['db', 'api', 'web'])
  })

  it('tells open pages when it closes, and stops listening', async () => {
    const other = await startDashboard({ source: managerSource(manager) })
    const events = new EventReader<DashboardEvent>(`http://127.0.0.1:${other.port}/events?token=${other.token}`)
    readers.push(events as EventReader<unknown>)
    await events.next((m) => m.type === 'snapshot', 'the snapshot')
    await other.close('test over')
    await events.next((m) => m.type === 'closing' && m.reason === 'test over', 'closing')
    await expect(other.closed).resolves.toBe('test over')
    await expect(fetch(other.url)).rejects.toThrow()
  })
})
