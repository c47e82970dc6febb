// The real `svc` binary against a copy of examples/hello, with the manager in the background:
// up --detach, ps, call, logs, restart/stop/start, down — and what a second `up` or a missing manager says.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { existsSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { alive, makeProject, removeProject, startShell, startSvc, svc } from './helpers/svc.js'

interface Snapshot {
  name: string
  display: string
  pid: number | null
  dependsOn: string[]
  restarts: number
}

describe('svc against a detached manager (examples/hello)', () => {
  let dir: string
  let managerPid: number

  beforeAll(async () => {
    dir = makeProject()
    const up = await svc(dir, ['up', '--detach', '--json'])
    expect(up.stderr).toBe('')
    expect(up.code).toBe(0)
    const started = JSON.parse(up.stdout) as { pid: number; socket: string; services: Snapshot[] }
    managerPid = started.pid
    expect(started.services.map((s) => [s.name, s.display])).toEqual([
      ['greeter', 'running'],
      ['front', 'running'],
    ])
  })

  afterAll(async () => {
    await removeProject(dir)
  })

  it('keeps the control socket owner-only in .svc/private/', () => {
    const socket = join(dir, '.svc/private/control.sock')
    expect(statSync(socket).isSocket()).toBe(true)
    expect(statSync(socket).mode & 0o777).toBe(0o600)
  })

  it('refuses a second manager and says where the first one is', async () => {
    const second = await svc(dir, ['up', '--detach'])
    expect(second.code).toBe(1)
    expect(second.stderr).toContain('error SVC_ERR_CLI_ALREADY_RUNNING')
    expect(second.stderr).toContain(`pid ${managerPid}`)
    expect(second.stderr).toContain('control.sock')
  })

  it('ps --json lists every service with state, pid and dependencies', async () => {
    const ps = await svc(dir, ['ps', '--json'])
    expect(ps.code).toBe(0)
    const services = JSON.parse(ps.stdout) as Snapshot[]
    expect(services.map((s) => s.name)).toEqual(['greeter', 'front'])
    expect(services.every((s) => s.display === 'running' && typeof s.pid === 'number')).toBe(true)
    expect(services.find((s) => s.name === 'front')!.dependsOn).toEqual(['greeter'])
  })

  it('ps prints a plain table when not on a terminal', async () => {
    const ps = await svc(dir, ['ps'])
    expect(ps.code).toBe(0)
    const [header, ...rows] = ps.stdout.trimEnd().split('\n')
    expect(header!.split(/\s{2,}/)).toEqual(['NAME', 'STATE', 'PID', 'UPTIME', 'RESTARTS', 'CPU', 'MEM', 'DEPENDS ON'])
    expect(rows.map((r) => r.split(/\s+/).slice(0, 2))).toEqual([
      ['greeter', 'running'],
      ['front', 'running'],
    ])
    expect(ps.stdout).not.toMatch(/\x1b\[/)
  })

  it('call prints the JSON result of a service method', async () => {
    const call = await svc(dir, ['call', 'front.welcome', '"Ada"'])
    expect(call.stderr).toBe('')
    expect(call.code).toBe(0)
    expect(JSON.parse(call.stdout)).toMatch(/^Hello, Ada! \(\d+ so far\)$/)
    const bare = await svc(dir, ['call', 'greeter.greet', 'Bob'])
    expect(JSON.parse(bare.stdout)).toBe('Hello, Bob!')
  })

  it('call prints a remote error with its code and exits 1', async () => {
    const call = await svc(dir, ['call', 'front.nope'])
    expect(call.code).toBe(1)
    expect(call.stdout).toBe('')
    expect(call.stderr.split('\n')[0]).toMatch(/^error SVC_ERR_UNKNOWN_METHOD: Service "front" has no method "nope"/)
    expect(call.stderr).not.toMatch(/\n\s+at .*\.js:\d+/) // no stack trace

    const json = await svc(dir, ['call', 'nobody.greet', '--json'])
    expect(json.code).toBe(1)
    expect(JSON.parse(json.stdout).error.code).toBe('SVC_ERR_UNKNOWN_SERVICE')
  })

  it('logs prints the buffered output with a padded name prefix', async () => {
    const logs = await svc(dir, ['logs'])
    expect(logs.code).toBe(0)
    expect(logs.stdout).toContain('greeter | greeter ready (prefix "Hello")')
    const json = await svc(dir, ['logs', 'greeter', '-n', '1', '--json'])
    const lines = json.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { service: string; stream: string; line: string })
    expect(lines).toEqual([expect.objectContaining({ service: 'greeter', stream: 'stdout', line: 'greeter ready (prefix "Hello")' })])
  })

  it('restart closes the dependents first, then starts in dependency order', async () => {
    const before = JSON.parse((await svc(dir, ['ps', '--json'])).stdout) as Snapshot[]
    const restart = await svc(dir, ['restart', 'greeter'])
    expect(restart.code).toBe(0)
    expect(restart.stderr.trimEnd().split('\n')).toEqual(['svc: front closed', 'svc: greeter closed', 'svc: greeter running', 'svc: front running'])
    const after = JSON.parse((await svc(dir, ['ps', '--json'])).stdout) as Snapshot[]
    for (const name of ['greeter', 'front']) {
      expect(after.find((s) => s.name === name)!.pid).not.toBe(before.find((s) => s.name === name)!.pid)
    }
  })

  it('stop closes a service for good until start brings it back', async () => {
    const stop = await svc(dir, ['stop', 'front', '--json'])
    expect(stop.code).toBe(0)
    expect((JSON.parse(stop.stdout) as Snapshot[]).find((s) => s.name === 'front')!.display).toBe('stopped')
    const call = await svc(dir, ['call', 'front.welcome', '"x"'])
    expect(call.code).toBe(1)
    expect(call.stderr).toMatch(/^error SVC_ERR_/)
    const start = await svc(dir, ['start', 'front', '--json'])
    expect(start.code).toBe(0)
    expect((JSON.parse(start.stdout) as Snapshot[]).map((s) => s.display)).toEqual(['running', 'running'])
  })

  it('logs -f follows new lines until interrupted', async () => {
    const follow = startSvc(dir, ['logs', '-f', '-n', '1', 'greeter'])
    await follow.until((r) => r.stdout.includes('greeter ready'), 'the newest buffered line')
    const restart = await svc(dir, ['restart', 'greeter'])
    expect(restart.code).toBe(0)
    await follow.until((r) => r.stdout.split('greeter ready').length === 3, 'the line logged by the restarted greeter')
    follow.child.kill('SIGINT')
    const end = await follow.exited
    expect(end.code).toBe(0)
    expect(end.stderr).toBe('')
  })

  it('survives its reader going away (svc logs -f | head -n 1)', async () => {
    const pipeline = startShell(dir, `${JSON.stringify(process.execPath)} ${JSON.stringify(join(dir, '../../dist/bin.js'))} logs -f -n 1 greeter | head -n 1`)
    await pipeline.until((r) => r.stdout.includes('greeter ready'), 'head printing the first line')
    await svc(dir, ['restart', 'greeter']) // the follower writes again, into a closed pipe
    const end = await pipeline.exited
    expect(end.code).toBe(0)
    expect(end.stderr).toBe('')
  })

  it('down closes in reverse order, waits for the manager, and leaves nothing behind; a follower says it stopped and exits 3', async () => {
    const follow = startSvc(dir, ['logs', '-f', '-n', '1', 'greeter'])
    await follow.until((r) => r.stdout.includes('greeter ready'), 'the follower connected')
    const down = await svc(dir, ['down'])
    const followed = await follow.exited
    expect(followed.stderr).toBe('svc: the manager stopped (manager closed).\n')
    expect(followed.code).toBe(3)
    expect(down.code).toBe(0)
    expect(down.stderr).toMatch(/svc: front closed\nsvc: greeter closed\n/)
    expect(down.stderr).toContain(`manager stopped (pid ${managerPid})`)
    expect(alive(managerPid)).toBe(false)
    expect(existsSync(join(dir, '.svc/control.sock'))).toBe(false)
    expect(existsSync(join(dir, '.svc/manager.pid'))).toBe(false)

    const ps = await svc(dir, ['ps'])
    expect(ps.code).toBe(3)
    expect(ps.stderr).toMatch(/^error SVC_ERR_CLI_NOT_RUNNING: No manager is running/)
    expect(ps.stderr).toContain('hint: Start one with `svc up`')
  })
})
