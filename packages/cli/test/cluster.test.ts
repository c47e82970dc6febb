// The real `svc` binary on a graph across two hosts (a cluster on NATS): two projects, the same manifest, `svc up
// --host a` and `svc up --host b` (detached). From host a: `svc ps` shows where each service runs, `svc call` reaches
// the service on b, `svc logs` merges b's lines and `svc logs -f` follows them, `svc down --host b` is refused (it is run on a), and `svc down`
// closes both hosts.

import { afterAll, describe, expect, it } from '@jest/globals'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { deleteClusterBuckets, NATS_URL, natsForTests } from '../../../test-support/nats.js'
import { makeProject, removeProject, startSvc, svc, waitUntil } from './helpers/svc.js'

const enabled = await natsForTests('the svc tests across hosts')
const cluster = `cli${process.pid}-${randomBytes(3).toString('hex')}`
const CONFIG = `import { defineServices } from '@services-cluster/core'
export default defineServices({
  cluster: { name: '${cluster}', nats: '${NATS_URL}' },
  services: {
    greeter: { entry: './services/greeter.ts', placement: { hosts: ['a'] } },
    front: { entry: './services/front.ts', dependsOn: ['greeter'], placement: { hosts: ['b'] } },
  },
})
`
// hello's front, saying where it runs as it starts and whom it welcomes (so that its host's lines show in `svc logs`,
// and in `svc logs -f`, on the other).
const FRONT = `import { defineService } from '@services-cluster/core/remote'
export default defineService(async (ctx) => {
  ctx.log.info(\`front up on \${process.env.SVC_HOST}\`)
  return {
    welcome: async (name: string) => {
      ctx.log.info(\`welcoming \${name}\`)
      return \`\${await ctx.call('greeter', 'greet', [name])} (\${await ctx.call('greeter', 'count', [])} so far)\`
    },
  }
})
`
const dirs: string[] = []

afterAll(async () => {
  for (const dir of dirs) await removeProject(dir)
  if (enabled) await deleteClusterBuckets([cluster])
}, 60_000)

;(enabled ? describe : describe.skip)('svc across two hosts', () => {
  it('ps, call and logs from one host reach the whole graph; down closes every host; down --host is refused elsewhere', async () => {
    const files = { 'svc.config.ts': CONFIG, 'services/front.ts': FRONT }
    const [a, b] = [makeProject(files), makeProject(files)]
    dirs.push(a, b)
    // Each waits for the other's service: both start at once.
    const ups = await Promise.all([svc(a, ['up', '--detach', '--host', 'a']), svc(b, ['up', '--detach', '--host', 'b'])])
    expect(ups.map((u) => u.code)).toEqual([0, 0])

    const rows = (await svc(a, ['ps'])).stdout.trim().split('\n').map((r) => r.trim().split(/\s{2,}/).slice(0, 3))
    expect(rows).toEqual([
      ['NAME', 'STATE', 'HOST'],
      ['greeter', 'running', 'a'],
      ['front', 'running', 'b'],
    ])
    const call = await svc(a, ['call', 'front.welcome', 'Ada'])
    expect(call.stdout.trim()).toBe('"Hello, Ada! (1 so far)"')
    const logs = await svc(a, ['logs', '-n', '20'])
    expect(logs.stdout).toMatch(/greeter +\| greeter ready/)
    expect(logs.stdout).toMatch(/front@b +\| front up on b/)
    expect(logs.code).toBe(0)
    // Followed from a: b's new lines come as they are written, after the tail.
    const follow = startSvc(a, ['logs', '-f', '-n', '1', 'front'])
    await follow.until((r) => r.stdout.includes('welcoming Ada'), 'the tail, from b')
    expect((await svc(b, ['call', 'front.welcome', 'Grace'])).code).toBe(0)
    await follow.until((r) => /front@b +\| welcoming Grace/.test(r.stdout), "b's new line, followed from a")
    follow.child.kill('SIGINT')
    expect((await follow.exited).code).toBe(0)

    const refused = await svc(a, ['down', '--host', 'b'])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain('This manager runs host "a", not "b"')

    const down = await svc(a, ['down'])
    expect(down.code).toBe(0)
    // b's manager closes too, on a's word: its lock goes once it has exited.
    await waitUntil(() => !existsSync(join(b, '.svc/private/manager.pid')), 20_000)
  }, 120_000)
})
