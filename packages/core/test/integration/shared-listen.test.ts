// `listen`: the manager holds one listening socket per service and hands it to every process of it as fd 4. The
// port stays open while a process is replaced — connections wait in the kernel's backlog, none is refused — and is
// free again once the manager closes. Real processes, real sockets.

import { afterEach, describe, expect, test } from '@jest/globals'
import { mkdtempSync, rmSync } from 'node:fs'
import { request } from 'node:http'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Manifest, ServicesManager } from '../../src/index.js'
import { promisify } from 'node:util'
import { execFile } from 'node:child_process'
import { fixtureManager, FIXTURES, runningAgain, until } from './harness.js'

const run = promisify(execFile)

let manager: ServicesManager | undefined
const dirs: string[] = []
const servers: Server[] = []
afterEach(async () => {
  await manager?.close()
  manager = undefined
  for (const server of servers.splice(0)) await new Promise((r) => server.close(r))
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function start(services: Manifest['services'], spawner = false): ServicesManager {
  const dir = mkdtempSync(join(tmpdir(), 'svc-listen-'))
  dirs.push(dir)
  manager = fixtureManager(services, { spawner }, dir)
  return manager
}

/** One GET on a fresh connection (no keep-alive: every request goes through accept). */
function get(port: number, path = '/'): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, headers: { connection: 'close' } }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () => resolve(body))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

/** Binds a port on 127.0.0.1 (0: any); resolves with it. */
async function holdPort(port = 0): Promise<number> {
  const server = createServer()
  servers.push(server)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => resolve())
  })
  return (server.address() as { port: number }).port
}

/** Requests in a loop until stopped: counts answers, refusals and other errors (a connection the killed process had
 * already accepted is reset: that is the process's loss, not the port's). */
function hammer(port: number) {
  const counts = { ok: 0, refused: 0, other: [] as string[], slowestMs: 0 }
  let running = true
  const done = (async () => {
    while (running) {
      const sent = Date.now()
      try {
        await get(port)
        counts.ok++
        counts.slowestMs = Math.max(counts.slowestMs, Date.now() - sent)
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? String(error)
        if (code === 'ECONNREFUSED') counts.refused++
        else counts.other.push(code)
        // A refusal is instant: without a pause the loop would take the CPU the replacement process needs to boot.
        await new Promise((r) => setTimeout(r, 5))
      }
    }
  })()
  return {
    counts,
    async stop() {
      running = false
      await done
      return counts
    },
  }
}

const WEB = { entry: './shared-http.ts', listen: { port: 0, host: '127.0.0.1' } }

describe('listen: a port the manager holds for a service', () => {
  test('port 0 becomes a real port, shown in the snapshot, and the service serves HTTP on it through ctx.listen', async () => {
    const m = start({ web: WEB })
    expect(m.service('web').listen).toBeNull() // opened on the first start, not before
    await m.start()
    const { listen } = m.service('web')
    expect(listen).toEqual({ host: '127.0.0.1', port: expect.any(Number) })
    expect(listen!.port).toBeGreaterThan(0)
    expect(Number(await get(listen!.port))).toBeGreaterThan(0) // the service's pid (in its own PID namespace)
  })

  test('no connection is refused while the process is killed (SIGKILL) and replaced, nor while it restarts; the port is kept', async () => {
    const m = start({ web: { ...WEB, restart: { policy: 'always', backoff: { initialMs: 200 } } } })
    await m.start()
    const { port } = m.service('web').listen!
    const load = hammer(port)
    await new Promise((r) => setTimeout(r, 100))
    const before = load.counts.ok

    const replaced = runningAgain(m, 'web')
    await m.kill('web', 'SIGKILL')
    await replaced // the supervisor waited its backoff meanwhile: connections queued in the backlog
    await m.restart('web') // a requested restart: the old process closes, a new one starts
    const settled = load.counts.ok
    while (load.counts.ok < settled + 20) await new Promise((r) => setTimeout(r, 10))
    const counts = await load.stop()

    expect(before).toBeGreaterThan(0)
    expect(counts.refused).toBe(0)
    expect(counts.slowestMs).toBeGreaterThanOrEqual(150) // one waited in the backlog through the restart backoff (200 ms)
    expect(counts.other.filter((code) => code !== 'ECONNRESET')).toEqual([])
    expect(m.service('web').listen!.port).toBe(port) // port 0 was resolved once; restarts keep it
  })

  test('a reload of 1 and of 2 instances under HTTP load fails no request at all; both answer on the one port', async () => {
    const m = start({ one: WEB, two: { ...WEB, instances: 2 } })
    await m.start()
    for (const name of ['one', 'two']) {
      const { port } = m.service(name).listen!
      const loads = Array.from({ length: 4 }, () => hammer(port))
      const served = () => loads.reduce((sum, l) => sum + l.counts.ok, 0)
      const before = m.service(name).instances.map((i) => i.pid)
      await until(() => served() >= 50, 10_000, 'requests before the reload')
      await m.reload(name)
      const after = served()
      await until(() => served() >= after + 50, 10_000, 'requests after the reload')
      const counts = await Promise.all(loads.map((l) => l.stop()))
      expect(counts.flatMap((c) => c.other)).toEqual([])
      expect(counts.reduce((sum, c) => sum + c.refused, 0)).toBe(0)
      expect(m.service(name).instances.map((i) => i.pid).filter((pid) => before.includes(pid))).toEqual([])
    }
    // Two processes accept on one port: each answers.
    const { port } = m.service('two').listen!
    const instances = new Set<string>()
    for (let batch = 0; batch < 100 && instances.size < 2; batch++) {
      for (const instance of await Promise.all(Array.from({ length: 8 }, () => get(port, '/instance')))) instances.add(instance)
    }
    expect([...instances].sort()).toEqual(['0', '1'])
  })

  // The control for the test above: the same load against a service that binds its port itself does see refusals,
  // so zero refusals there is the shared socket's doing, not a blind client.
  test('without listen, a service that binds its own port refuses connections while it is replaced', async () => {
    const port = await holdPort()
    await new Promise((r) => servers.pop()!.close(r))
    const m = start({ web: { entry: './port-holder.ts', config: { port }, restart: { policy: 'always', backoff: { initialMs: 200 } } } })
    await m.start()
    const load = hammer(port)
    const replaced = runningAgain(m, 'web')
    await m.kill('web', 'SIGKILL')
    await replaced
    const counts = await load.stop()
    expect(counts.refused).toBeGreaterThan(0)
  })

  test('a command service gets the socket as fd 4 with SVC_LISTEN_FD, as a Node service does', async () => {
    const script = "require('http').createServer((q, s) => s.end('command ' + process.env.SVC_LISTEN_FD)).listen({ fd: Number(process.env.SVC_LISTEN_FD) }, () => console.log('up'))"
    const m = start({ cmd: { command: ['node', '-e', script], listen: { port: 0, host: '127.0.0.1' }, ready: { log: '^up$' } } })
    await m.start()
    expect(await get(m.service('cmd').listen!.port)).toBe('command 4')
  })

  // That a launch with a socket never goes through a running spawner is checked in listen-socket.test.ts.
  test('with spawner: true in the manifest, a service with listen serves', async () => {
    const m = start({ web: WEB, other: { entry: './plain.mjs' } }, true)
    await m.start()
    expect(Number(await get(m.service('web').listen!.port))).toBeGreaterThan(0)
  })

  test('a service with network: false still serves the socket (it belongs to the manager\'s network namespace)', async () => {
    const m = start({ web: { ...WEB, permissions: { network: false } } })
    await m.start()
    expect(Number(await get(m.service('web').listen!.port))).toBeGreaterThan(0)
  })

  test('without a kernel container (process group only), fd 4 reaches the service too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'svc-listen-'))
    dirs.push(dir)
    // hostContainment() is probed once per process: the manager runs in a process of its own with the override.
    const script = `
      import { ServicesManager } from ${JSON.stringify(new URL('../../dist/index.js', import.meta.url).href)}
      const m = new ServicesManager({ stateDir: ${JSON.stringify(dir)}, services: { web: ${JSON.stringify(WEB)} } }, { cwd: ${JSON.stringify(FIXTURES)} })
      await m.start()
      const answer = await (await fetch('http://127.0.0.1:' + m.service('web').listen.port)).text()
      await m.close()
      console.log(JSON.stringify({ answer, pid: m.service('web').pid }))
    `
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, SVC_CONTAINMENT: 'process-group' } })
    expect(Number(JSON.parse(stdout).answer)).toBeGreaterThan(1) // its host pid: no PID namespace
  })

  test('an IPv6 host works', async () => {
    const m = start({ web: { entry: './shared-http.ts', listen: { port: 0, host: '::1' } } })
    await m.start()
    const { port } = m.service('web').listen!
    const body = await new Promise<string>((resolve, reject) => {
      request({ host: '::1', port, agent: false }, (res) => {
        let text = ''
        res.on('data', (c: Buffer) => (text += c))
        res.on('end', () => resolve(text))
      }).on('error', reject).end()
    })
    expect(Number(body)).toBeGreaterThan(0)
  })
})

describe('listen: bad input and clean-up', () => {
  test('a port in use fails the start with SVC_ERR_PORT_IN_USE, naming the service and the port, also in its log', async () => {
    const port = await holdPort()
    const m = start({ web: { entry: './shared-http.ts', listen: { port, host: '127.0.0.1' } } })
    await expect(m.start()).rejects.toMatchObject({
      code: 'SVC_ERR_PORT_IN_USE',
      service: 'web',
      message: expect.stringContaining(`Service "web" cannot listen on 127.0.0.1:${port}: the port is in use`),
      details: { host: '127.0.0.1', port },
    })
    expect(m.logs('web').map((l) => l.line).join('\n')).toContain('the port is in use')
  })

  test('ctx.listen without listen in the manifest fails the start with SVC_ERR_NO_LISTEN', async () => {
    const m = start({ web: { entry: './shared-http.ts' } })
    await expect(m.start()).rejects.toMatchObject({ code: 'SVC_ERR_START_FAILED', details: { causeCode: 'SVC_ERR_NO_LISTEN' }, message: expect.stringContaining('its manifest entry has no listen') })
  })

  test('after close the port is free: nothing of the manager (nor a service process) still holds it', async () => {
    const m = start({ web: WEB })
    await m.start()
    const { port } = m.service('web').listen!
    await m.close()
    manager = undefined
    expect(await holdPort(port)).toBe(port)
  })

  test('a service removed by apply() gives its port back at once; the others keep theirs', async () => {
    const m = start({ web: WEB, api: WEB })
    await m.start()
    const web = m.service('web').listen!.port
    const api = m.service('api').listen!.port
    await m.apply({ services: { api: WEB }, stateDir: dirs[0]! })
    expect(await holdPort(web)).toBe(web)
    expect(await get(api)).toBeTruthy()
  })

  test('apply: a service changed in another field keeps its socket (and port 0 its port); redefined without listen, it gives the port back', async () => {
    const m = start({ api: WEB })
    await m.start()
    const port = m.service('api').listen!.port
    await m.apply({ services: { api: { ...WEB, env: { LEVEL: '2' } } }, stateDir: dirs[0]! })
    expect(m.service('api').listen).toEqual({ host: '127.0.0.1', port })
    expect(await get(port)).toBeTruthy()
    await m.apply({ services: { api: { entry: './plain.mjs' } }, stateDir: dirs[0]! })
    expect(m.service('api').listen).toBeNull()
    expect(await holdPort(port)).toBe(port)
  })
})
