// The real `svc` binary over a graph of command services (real processes): `svc ps` and `svc top` say what a
// start waits for ("waiting for tcp 127.0.0.1:PORT"), show the command line and a one-shot's `completed`, and
// `svc graph` (from the manifest) and the control socket's `graph` method carry each edge's condition.
// The probe's port is opened by the test: the waiting state lasts exactly until then, whatever the machine's load.

import { afterEach, describe, expect, it } from '@jest/globals'
import { createServer, type Server } from 'node:net'
import { ControlClient } from '../src/control/client.js'
import { makeProject, removeProject, startSvc, svc, type Running } from './helpers/svc.js'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
}, 60_000)

function listen(server: Server, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => resolve((server.address() as { port: number }).port))
  })
}

/** A port nothing listens on (yet): taken from the kernel, then let go. */
async function freePort(): Promise<number> {
  const server = createServer()
  const port = await listen(server)
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

function config(port: number): string {
  return `import { defineServices } from '@services-cluster/core'
export default defineServices({
  services: {
    cache: { command: ['sleep', '1000'], ready: { tcp: ${port}, intervalMs: 50 }, startTimeoutMs: 60000 },
    migrate: { command: 'echo migrated', oneshot: true },
    api: { command: ['sleep', '1000'], dependsOn: { migrate: 'completed', cache: 'started' } },
  },
})
`
}

/** `svc ps` as rows of cells (columns are two spaces or more apart). */
async function psRows(dir: string, command: 'ps' | 'top' = 'ps'): Promise<string[][]> {
  const ps = await svc(dir, [command])
  expect([ps.code, ps.stderr]).toEqual([0, ''])
  return ps.stdout.trimEnd().split('\n').map((line) => line.split(/\s{2,}/))
}

describe('svc over command services and one-shots', () => {
  it('svc graph prints each condition that is not ready, in every format', async () => {
    const dir = makeProject({ 'svc.config.ts': config(1) }, { hello: false })
    cleanups.push(() => removeProject(dir))
    const text = await svc(dir, ['graph'])
    expect(text.stdout).toContain('api     → migrate (completed), cache (started)\n')
    expect((await svc(dir, ['graph', '--format', 'dot'])).stdout).toContain('  "api" -> "migrate" [label="completed"];\n  "api" -> "cache" [label="started"];')
    const json = JSON.parse((await svc(dir, ['graph', '--json'])).stdout) as { services: { name: string; conditions: Record<string, string> }[] }
    expect(json.services.find((s) => s.name === 'api')!.conditions).toEqual({ migrate: 'completed', cache: 'started' })
  })

  it('svc ps and svc top show what a start waits for, the command line, a completed one-shot; the graph method the conditions', async () => {
    const port = await freePort()
    const dir = makeProject({ 'svc.config.ts': config(port) }, { hello: false })
    cleanups.push(() => removeProject(dir))
    const up: Running = startSvc(dir, ['up'])
    cleanups.push(async () => {
      up.child.kill('SIGINT')
      await up.exited
    })
    // api needs only cache's process: once api runs, cache has been spawned and waits for its port.
    await up.until((r) => /^svc: api running/m.test(r.stderr), 'api running')

    const waiting = ['cache', `starting · waiting for tcp 127.0.0.1:${port}`]
    for (const command of ['ps', 'top'] as const) {
      const [header, ...rows] = await psRows(dir, command)
      expect(header).toEqual(['NAME', 'STATE', 'PID', 'UPTIME', 'RESTARTS', 'CPU', 'MEM', 'DEPENDS ON', 'KIND', 'COMMAND'])
      const byName = Object.fromEntries(rows.map((r) => [r[0], r]))
      expect(byName.cache!.slice(0, 2)).toEqual(waiting)
      expect(byName.cache!.slice(-2)).toEqual(['command', 'sleep 1000'])
      expect([byName.migrate![1], ...byName.migrate!.slice(-2)]).toEqual(['completed', 'oneshot', 'echo migrated'])
      expect([byName.api![1], byName.api![7]]).toEqual(['running', 'migrate(completed),cache(started)'])
    }

    const socket = /control socket (\S+)/.exec(up.stderr)?.[1] ?? `${dir}/.svc/private/control.sock`
    const client = await ControlClient.connect(socket)
    cleanups.push(async () => client.close())
    const graph = await client.request('graph', {})
    expect(graph.services.find((s) => s.name === 'api')!.conditions).toEqual({ migrate: 'completed', cache: 'started' })

    // The port opens: the probe passes, and nothing is waited for any more.
    const server = createServer((socket) => socket.destroy())
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())))
    await listen(server, port)
    await up.until((r) => /^svc: cache running/m.test(r.stderr), 'cache running')
    const rows = await psRows(dir)
    expect(rows.find((r) => r[0] === 'cache')!.slice(0, 2)).toEqual(['cache', 'running'])
  })
})
