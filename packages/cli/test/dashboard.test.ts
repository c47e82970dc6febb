// The real `svc` binary serving the dashboard: `svc up --ui` (background and foreground) prints a URL that
// answers with its token and refuses without it; `svc ui` serves a running manager's dashboard over the
// control socket, acts through it, and ends when the manager does.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { EventReader } from '../../dashboard/test/helpers/event-stream.js'
import { makeProject, removeProject, startSvc, svc, type Running } from './helpers/svc.js'

interface Snapshot {
  name: string
  display: string
  pid: number | null
}
type DashboardMessage = { type: 'snapshot'; services: Snapshot[] } | { type: 'service'; service: Snapshot } | { type: 'usage'; samples: { service: string }[] }
type LogMessage = { type: 'tail' | 'lines'; lines: { line: string }[] }

const URL_LINE = /^svc: dashboard (http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)$/m
const readers: EventReader<unknown>[] = []
afterAll(() => {
  for (const r of readers) r.close()
})

function stream<M>(url: string, path: string): EventReader<M> {
  const { origin, searchParams } = new URL(url)
  const reader = new EventReader<M>(`${origin}${path}${path.includes('?') ? '&' : '?'}token=${searchParams.get('token')}`)
  readers.push(reader as EventReader<unknown>)
  return reader
}

async function expectTokenGuard(url: string): Promise<void> {
  const page = await fetch(url)
  expect(page.status).toBe(200)
  expect(await page.text()).toContain('<title>svc dashboard</title>')
  const { origin } = new URL(url)
  const refused = await fetch(`${origin}/`)
  expect(refused.status).toBe(401)
  expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('SVC_ERR_DASHBOARD_UNAUTHORIZED')
}

describe('svc up --ui --detach, then svc ui', () => {
  let dir: string
  let url: string
  let ui: Running | undefined

  beforeAll(async () => {
    dir = makeProject()
    const up = await svc(dir, ['up', '--detach', '--ui', '0', '--json'])
    expect(up.code).toBe(0)
    expect(up.stderr).toBe('')
    url = (JSON.parse(up.stdout) as { dashboard: string }).dashboard
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{32}$/)
  })

  afterAll(async () => {
    if (ui && ui.child.exitCode === null) ui.child.kill('SIGTERM')
    await ui?.exited
    await removeProject(dir)
  })

  it('serves the dashboard from the background manager: 200 with the token, 401 without', async () => {
    await expectTokenGuard(url)
    const events = stream<DashboardMessage>(url, '/events')
    const snapshot = await events.next((m) => m.type === 'snapshot', 'the snapshot')
    events.close()
    expect(snapshot.type === 'snapshot' && snapshot.services.map((s) => [s.name, s.display])).toEqual([
      ['greeter', 'running'],
      ['front', 'running'],
    ])
  })

  it('never writes the token to the daemon log', () => {
    const token = new URL(url).searchParams.get('token')!
    expect(readFileSync(join(dir, '.svc/private/daemon.log'), 'utf8')).not.toContain(token)
  })

  it('svc ui serves the running manager over its control socket, acts through it, and ends with it', async () => {
    ui = startSvc(dir, ['ui'])
    await ui.until((r) => URL_LINE.test(r.stderr), 'the dashboard URL')
    const own = URL_LINE.exec(ui.stderr)![1]!
    expect(own).not.toBe(url) // its own server, port and token
    await expectTokenGuard(own)

    const events = stream<DashboardMessage>(own, '/events')
    const snapshot = await events.next((m) => m.type === 'snapshot', 'the snapshot')
    await events.next((m) => m.type === 'usage', 'usage samples')
    expect(snapshot.type === 'snapshot' && snapshot.services.map((s) => [s.name, s.display])).toEqual([
      ['greeter', 'running'],
      ['front', 'running'],
    ])
    const before = snapshot.type === 'snapshot' ? snapshot.services.find((s) => s.name === 'greeter')!.pid : null

    const log = stream<LogMessage>(own, '/events/logs?service=greeter')
    const tail = await log.next((m) => m.type === 'tail', 'the tail of greeter')
    expect(tail.lines.map((l) => l.line)).toEqual(['greeter ready (prefix "Hello")'])

    // A restart from the page goes through the manager: dependents first, both running again with new pids.
    const { origin, searchParams } = new URL(own)
    const restart = await fetch(`${origin}/api/services/greeter/restart`, { method: 'POST', headers: { 'x-svc-token': searchParams.get('token')! } })
    expect(restart.status).toBe(200)
    const { services } = (await restart.json()) as { services: Snapshot[] }
    expect(services.map((s) => s.display)).toEqual(['running', 'running'])
    expect(services[0]!.pid).not.toBe(before)
    await log.next((m) => m.type === 'lines' && m.lines.some((l) => l.line.startsWith('greeter ready')), "the new greeter's line")
    await events.next((m) => m.type === 'service' && m.service.name === 'front' && m.service.display === 'running' && m.service.pid !== null, 'front back')
    const unknown = await fetch(`${origin}/api/services/ghost/stop`, { method: 'POST', headers: { 'x-svc-token': searchParams.get('token')! } })
    expect(unknown.status).toBe(404)
    expect(((await unknown.json()) as { error: { message: string } }).error.message).toBe('There is no service "ghost". Known services: greeter, front.')

    const down = await svc(dir, ['down'])
    expect(down.code).toBe(0)
    const result = await ui.exited
    expect(result.code).toBe(0)
    expect(result.stderr).toMatch(/^svc: dashboard closed \(.+\)$/m)
    await expect(fetch(url)).rejects.toThrow() // the background manager's dashboard went with it
  })

  it('svc ui without a running manager says so (exit 3)', async () => {
    const result = await svc(dir, ['ui'])
    expect(result.code).toBe(3)
    expect(result.stderr).toContain('error SVC_ERR_CLI_NOT_RUNNING')
  })
})

describe('svc up --ui in the foreground', () => {
  const dirs: string[] = []
  afterAll(async () => {
    for (const dir of dirs) await removeProject(dir)
  })

  it('prints the URL before the services start, serves it while they run, and closes on Ctrl-C', async () => {
    const dir = makeProject()
    dirs.push(dir)
    const up = startSvc(dir, ['up', '--ui'])
    await up.until((r) => / running; control socket /.test(r.stderr), 'every service running')
    const line = URL_LINE.exec(up.stderr)
    expect(line).not.toBeNull()
    expect(up.stderr.indexOf('svc: dashboard')).toBeLessThan(up.stderr.indexOf('svc: greeter starting'))
    await expectTokenGuard(line![1]!)
    up.child.kill('SIGINT')
    const result = await up.exited
    expect(result.code).toBe(0)
    await expect(fetch(line![1]!)).rejects.toThrow()
  })

  it('refuses a port that is not one, naming the fix', async () => {
    const dir = makeProject()
    dirs.push(dir)
    const result = await svc(dir, ['up', '--ui', 'greeter'])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('expected a port number from 0 to 65535')
    expect(result.stderr).toContain('--ui=PORT')
  })
})
