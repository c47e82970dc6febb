// `svc up` under systemd's Type=notify, against a fake NOTIFY_SOCKET (a real Unix datagram socket): READY=1 once
// every service runs, STOPPING=1 on SIGTERM, WATCHDOG=1 pings at WATCHDOG_USEC/2, all from svc's own pid.

import { afterAll, afterEach, describe, expect, it } from '@jest/globals'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { NotifyReceiver } from './helpers/notify-receiver.js'
import { makeProject, removeProject, startSvc, svc } from './helpers/svc.js'

const dirs: string[] = []
const receivers: NotifyReceiver[] = []
afterEach(async () => {
  for (const receiver of receivers.splice(0)) await receiver.close()
})
afterAll(async () => {
  for (const dir of dirs) await removeProject(dir)
})

// hello's two services, and one that says whether it inherited NOTIFY_SOCKET.
function project(): string {
  const dir = makeProject({
    'svc.config.ts': `import { defineServices } from '@services-cluster/core'
export default defineServices({
  services: {
    greeter: { entry: './services/greeter.ts', config: { prefix: 'Hello' } },
    front: { entry: './services/front.ts', dependsOn: ['greeter'] },
    probe: { entry: './services/probe.ts' },
  },
})
`,
    'services/probe.ts': `import { defineService } from '@services-cluster/core/remote'
export default defineService(async (ctx) => {
  ctx.log.info('NOTIFY_SOCKET=' + (process.env.NOTIFY_SOCKET ?? 'unset') + ' WATCHDOG_USEC=' + (process.env.WATCHDOG_USEC ?? 'unset'))
  return {}
})
`,
  })
  dirs.push(dir)
  return dir
}

async function receiver(address: string): Promise<NotifyReceiver> {
  const r = await NotifyReceiver.listen(address)
  receivers.push(r)
  return r
}

const unique = () => `svc-test-${process.pid}-${Math.random().toString(36).slice(2)}`

describe('svc up and systemd notify', () => {
  it('sends READY=1 with STATUS and MAINPID once every service runs, then STOPPING=1 on SIGTERM, from its own pid (abstract socket)', async () => {
    const dir = project()
    const address = `@${unique()}`
    const notify = await receiver(address)
    const up = startSvc(dir, ['up'], { NOTIFY_SOCKET: address })
    await notify.until((r) => r.with('READY=1').length > 0, 'READY=1')

    // Ready means running: the manager answers, and every service is up, at the moment READY=1 arrives.
    const ps = await svc(dir, ['ps', '--json'])
    const states = (JSON.parse(ps.stdout) as { name: string; state: string }[]).map((s) => `${s.name}:${s.state}`).sort()
    expect(states).toEqual(['front:running', 'greeter:running', 'probe:running'])
    const [ready] = notify.with('READY=1')
    expect(ready!.pid).toBe(up.child.pid)
    expect(ready!.text.split('\n')).toEqual(['READY=1', 'STATUS=3/3 services up', `MAINPID=${up.child.pid}`])
    expect(notify.with('STOPPING=1')).toHaveLength(0)

    up.child.kill('SIGTERM')
    await notify.until((r) => r.with('STOPPING=1').length > 0, 'STOPPING=1')
    const end = await up.exited
    expect(end.code).toBe(0)
    expect(notify.with('STOPPING=1')[0]!.pid).toBe(up.child.pid)
    expect(notify.datagrams.findIndex((d) => d.text.startsWith('STOPPING=1'))).toBeGreaterThan(notify.datagrams.indexOf(ready!))
    expect(notify.with('READY=1')).toHaveLength(1)
    // SIGTERM (what systemd sends, KillMode=mixed) closes dependents first: no ExecStop= needed.
    expect(end.stderr.indexOf('svc: front closed')).toBeGreaterThan(-1)
    expect(end.stderr.indexOf('svc: front closed')).toBeLessThan(end.stderr.indexOf('svc: greeter closed'))
    // No WATCHDOG_USEC: no pings.
    expect(notify.with('WATCHDOG=1')).toHaveLength(0)
    // The services do not inherit the protocol's variables: only the manager speaks for the graph.
    expect(end.stdout).toMatch(/^probe +\| NOTIFY_SOCKET=unset WATCHDOG_USEC=unset$/m)
  })

  it('sends STATUS= as the number of services up changes: a stopped service, then started again', async () => {
    const dir = project()
    const address = `@${unique()}`
    const notify = await receiver(address)
    const up = startSvc(dir, ['up'], { NOTIFY_SOCKET: address })
    await notify.until((r) => r.with('READY=1').length > 0, 'READY=1')
    expect((await svc(dir, ['stop', 'probe'])).code).toBe(0)
    await notify.until((r) => r.with('STATUS=2/3 services up').length > 0, 'STATUS=2/3 services up')
    expect((await svc(dir, ['start', 'probe'])).code).toBe(0)
    await notify.until((r) => r.with('STATUS=3/3 services up').length > 1, 'STATUS=3/3 services up again')
    up.child.kill('SIGTERM')
    expect((await up.exited).code).toBe(0)
  })

  it('pings WATCHDOG=1 every WATCHDOG_USEC/2 while it runs (path socket)', async () => {
    const dir = project()
    const socketDir = mkdtempSync(join(tmpdir(), 'svc-notify-'))
    try {
      const address = join(socketDir, 'notify.sock')
      const notify = await receiver(address)
      const up = startSvc(dir, ['up'], { NOTIFY_SOCKET: address, WATCHDOG_USEC: '200000' })
      await notify.until((r) => r.with('READY=1').length > 0, 'READY=1')
      const before = notify.with('WATCHDOG=1').length
      // 100 ms apart: at least two more within 10 s, on a loaded machine too.
      await notify.until((r) => r.with('WATCHDOG=1').length >= before + 2, 'two WATCHDOG=1 after READY=1', 10_000)
      expect(notify.with('WATCHDOG=1').every((d) => d.pid === up.child.pid)).toBe(true)
      up.child.kill('SIGTERM')
      expect((await up.exited).code).toBe(0)
    } finally {
      rmSync(socketDir, { recursive: true, force: true })
    }
  })

  it('sends no WATCHDOG=1 when WATCHDOG_PID names another process', async () => {
    const dir = project()
    const address = `@${unique()}`
    const notify = await receiver(address)
    const up = startSvc(dir, ['up'], { NOTIFY_SOCKET: address, WATCHDOG_USEC: '200000', WATCHDOG_PID: '1' })
    await notify.until((r) => r.with('READY=1').length > 0, 'READY=1')
    up.child.kill('SIGTERM')
    await notify.until((r) => r.with('STOPPING=1').length > 0, 'STOPPING=1')
    expect((await up.exited).code).toBe(0)
    // Start-up took far longer than one 100 ms period: a ping would be here by now.
    expect(notify.with('WATCHDOG=1')).toHaveLength(0)
  })
})
