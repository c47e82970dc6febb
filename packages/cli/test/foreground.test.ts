// `svc up` in the foreground: plain progress and `name |` logs when piped, reverse-order close on SIGINT,
// a start failure that exits 1 (also with --detach), and a dead run's socket cleaned up.

import { afterAll, describe, expect, it } from '@jest/globals'
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { makeProject, removeProject, Running, startSvc, svc } from './helpers/svc.js'

const dirs: string[] = []
afterAll(async () => {
  for (const dir of dirs) await removeProject(dir)
})

function project(files?: Record<string, string>, hello = true): string {
  const dir = makeProject(files, { hello })
  dirs.push(dir)
  return dir
}

const FAILING = {
  'svc.config.ts': `import { defineServices } from '@services-cluster/core'
export default defineServices({
  services: {
    db: { entry: './services/db.ts', restart: 'never' },
    api: { entry: './services/api.ts', dependsOn: ['db'] },
  },
})
`,
  'services/db.ts': `import { defineService } from '@services-cluster/core/remote'
export default defineService(async () => {
  throw new Error('cannot reach the database')
})
`,
  'services/api.ts': `import { defineService } from '@services-cluster/core/remote'
export default defineService(async () => ({}))
`,
}

describe('svc up in the foreground', () => {
  it('shows progress, multiplexes logs, and closes in reverse order on SIGINT with exit 0', async () => {
    const dir = project()
    const up = startSvc(dir, ['up'])
    await up.until((r) => / running; control socket /.test(r.stderr), 'every service running')
    // The pid is printed once known: its process may still be on its way when the start begins (a spawner forks it).
    expect(up.stderr).toMatch(/^svc: greeter starting( pid=\d+)?\n/m)
    expect(up.stderr).toMatch(/^svc: greeter running pid=\d+ ready=\d+ms$/m)
    expect(up.stderr).toMatch(/^svc: front running pid=\d+ ready=\d+ms$/m)
    expect(up.stderr.indexOf('svc: greeter running')).toBeLessThan(up.stderr.indexOf('svc: front running'))

    const call = await svc(dir, ['call', 'front.welcome', '"Ada"'])
    expect(JSON.parse(call.stdout)).toMatch(/^Hello, Ada!/)

    up.child.kill('SIGINT')
    const end = await up.exited
    expect(end.code).toBe(0)
    expect(end.stdout).toContain('greeter | greeter ready (prefix "Hello")')
    expect(end.stdout).toMatch(/^front {3}\| front closing after 1 greetings$/m)
    expect(end.stdout).not.toMatch(/\x1b\[/)
    const closed = end.stderr.split('\n').filter((l) => / closed /.test(l)).map((l) => l.split(' ')[1])
    expect(closed).toEqual(['front', 'greeter'])
    expect(existsSync(join(dir, '.svc/private/control.sock'))).toBe(false)
  })

  it('exits 1 with the reason when a service fails to start, and closes what started', async () => {
    const dir = project(FAILING, false)
    const result = await svc(dir, ['up'])
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/^error SVC_ERR_\w+: .*cannot reach the database/m)
    expect(existsSync(join(dir, '.svc/private/control.sock'))).toBe(false)
  })

  it("shows the stack of a service that throws while starting once, in its log lines, and its file:line under the error", async () => {
    const dir = project(FAILING, false)
    const result = await svc(dir, ['up'])
    expect(result.code).toBe(1)
    const all = result.stdout + result.stderr
    expect(all.split('\n').filter((l) => l.includes('cannot reach the database'))).toEqual([
      'db  | [svc] start failed: cannot reach the database',
      'error SVC_ERR_START_FAILED: Service "db" failed to start: cannot reach the database',
    ])
    expect(result.stdout).toMatch(/^db {2}\| {5}at .*services\/db\.ts:3:\d+\)?$/m)
    expect(result.stderr).toMatch(/^error SVC_ERR_START_FAILED: .*\n {2}at services\/db\.ts:3:\d+\n {2}hint: the output of "db" \(its stack, if it threw\) is above; /m)
  })

  it("prints a crash's stack once: the manager's log lines, not also the runner's stderr and a status line", async () => {
    const dir = project(
      {
        'svc.config.ts': `import { defineServices } from '@services-cluster/core'
export default defineServices({ services: { s: { entry: './services/s.ts', restart: 'never' } } })
`,
        'services/s.ts': `import { defineService } from '@services-cluster/core/remote'
export default defineService(async () => {
  setTimeout(() => {
    throw new Error('kaboom')
  }, 50)
  return {}
})
`,
      },
      false,
    )
    const up = startSvc(dir, ['up'])
    await up.until((r) => /^svc: s crashed /m.test(r.stderr), 'the crash')
    up.child.kill('SIGINT')
    await up.exited
    const all = up.stdout + up.stderr
    expect(all.split('\n').filter((l) => l.includes('kaboom'))).toEqual(['s | [svc] uncaughtException: kaboom'])
    expect(all.split('\n').filter((l) => /services\/s\.ts:4:/.test(l))).toHaveLength(1)
  })

  it('up --detach returns the failure reason and leaves no manager behind', async () => {
    const dir = project(FAILING, false)
    const result = await svc(dir, ['up', '--detach'])
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/^error SVC_ERR_\w+: .*cannot reach the database\n {2}at services\/db\.ts:3:\d+\n/)
    expect(result.stderr).toContain('hint:')
    const ps = await svc(dir, ['ps'])
    expect(ps.code).toBe(3)
  })

  it('a service that fails to start under a running manager: svc start says where, svc logs has its stack', async () => {
    const dir = project(FAILING, false)
    writeFileSync(join(dir, 'services/ok.ts'), `import { defineService } from '@services-cluster/core/remote'\nexport default defineService(async () => ({}))\n`)
    writeFileSync(
      join(dir, 'svc.config.ts'),
      `import { defineServices } from '@services-cluster/core'\nexport default defineServices({ services: { ok: { entry: './services/ok.ts' }, db: { entry: './services/db.ts', restart: 'never' } } })\n`,
    )
    expect((await svc(dir, ['up', '--detach', 'ok'])).code).toBe(0)
    try {
      const start = await svc(dir, ['start', 'db'])
      expect(start.code).toBe(1)
      expect(start.stderr).toMatch(/^error SVC_ERR_START_FAILED: .*cannot reach the database\n {2}at services\/db\.ts:3:\d+$/m)
      const logs = await svc(dir, ['logs', 'db'])
      expect(logs.stdout).toMatch(/^db \| \[svc\] start failed: cannot reach the database\ndb \| {5}at .*services\/db\.ts:3:\d+\)?$/m)
    } finally {
      expect((await svc(dir, ['down'])).code).toBe(0)
    }
  })

  it('cleans up the socket and pid file of a manager that died, and starts', async () => {
    const dir = project()
    // A socket file nobody listens on any more, and the pid file of a process that is gone.
    mkdirSync(join(dir, '.svc/private'), { recursive: true })
    const holder = new Running(
      spawn(process.execPath, ['-e', "require('net').createServer().listen(process.argv[1], () => console.log('listening'))", join(dir, '.svc/private/control.sock')], {
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
      'socket holder',
    )
    await holder.until((r) => r.stdout.includes('listening'), 'the holder listening')
    holder.child.kill('SIGKILL')
    await holder.exited
    writeFileSync(join(dir, '.svc/private/manager.pid'), `${holder.child.pid}\n`)
    expect(existsSync(join(dir, '.svc/private/control.sock'))).toBe(true)

    const ps = await svc(dir, ['ps'])
    expect(ps.code).toBe(3)
    expect(existsSync(join(dir, '.svc/private/control.sock'))).toBe(false) // the client removed the leftover

    writeFileSync(join(dir, '.svc/private/manager.pid'), `${holder.child.pid}\n`)
    const up = await svc(dir, ['up', '--detach'])
    expect(up.code).toBe(0)
    const down = await svc(dir, ['down'])
    expect(down.code).toBe(0)
  })
})
