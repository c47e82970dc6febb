import { afterEach, describe, expect, test } from '@jest/globals'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { hostContainment } from '../../src/container/containment.js'
import { privateDir, type ServicesManager } from '../../src/index.js'
import { fixtureManager, freePort, isAlive, treeOf, until } from './harness.js'

// The rules of docs/supervision.md's threat model that rest on the kernel container, tried by a hostile service.
// On a host without namespaces they cannot hold, and the start-up report says so (tested at the end).
const contained = hostContainment().kind !== 'process-group'
const linuxOnly = contained ? test : test.skip
if (!contained) console.log('containment tests skipped: this host has no usable PID namespace (run as root, or enable user namespaces)')

let manager: ServicesManager | undefined
const servers: Server[] = []
const dirs: string[] = []
const seen: number[] = []
afterEach(async () => {
  await manager?.close()
  manager = undefined
  for (const s of servers.splice(0)) s.close()
  for (const pid of seen.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {}
  }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})


function stateDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'svc-contain-'))
  dirs.push(dir)
  return dir
}

async function escaper(options: { restart?: object } = {}) {
  const port = await freePort()
  manager = fixtureManager({ esc: { entry: './escaper.ts', config: { port }, restart: { backoff: { initialMs: 0, jitter: 0 }, ...options.restart } } }, {}, stateDir())
  await manager!.start()
  const tree = treeOf(manager!.service('esc').pid!)
  seen.push(...tree)
  return { port, tree }
}

describe('a service cannot leave its container', () => {
  linuxOnly('processes that detach (detached, setsid, double fork) are gone when the service stops, and the port is free at once', async () => {
    const { port, tree } = await escaper()
    // leader, init, the service, node, setsid'd sleep, two orphaned sleeps: all in the service's tree
    await until(() => treeOf(manager!.service('esc').pid!).length >= 7, 5000, 'every escaper to be running')
    const all = treeOf(manager!.service('esc').pid!)
    seen.push(...all)
    await manager!.close(['esc'])
    expect(all.filter(isAlive)).toEqual([])
    expect(tree.length).toBeGreaterThan(0)
    // The port the detached grandchild held is free: a restart binds it again.
    const server = createServer().listen(port, '127.0.0.1')
    servers.push(server)
    await new Promise((resolve, reject) => server.once('listening', resolve).once('error', reject))
  })

  linuxOnly('a crash takes every detached descendant with it, and the restarted service binds the same port', async () => {
    await escaper()
    await until(() => treeOf(manager!.service('esc').pid!).length >= 7, 5000, 'every escaper to be running')
    const all = treeOf(manager!.service('esc').pid!)
    seen.push(...all)
    const crashed = new Promise((r) => manager!.once('crash', r))
    manager!.kill('esc', 'SIGKILL')
    await crashed
    await until(() => all.every((p) => !isAlive(p)), 5000, 'the crashed tree to be gone')
    await manager!.waitFor('esc', 'running') // its start binds the port in a detached grandchild: it must be free
    await until(() => treeOf(manager!.service('esc').pid!).length >= 7, 5000, 'the new escapers to be running')
    seen.push(...treeOf(manager!.service('esc').pid!))
  })

  linuxOnly('a service cannot signal another service or the manager', async () => {
    const port = await freePort()
    manager = fixtureManager({ esc: { entry: './escaper.ts', config: { port } }, victim: { entry: './echo.ts' } }, {}, stateDir())
    await manager!.start()
    seen.push(...treeOf(manager!.service('esc').pid!))
    const victim = manager!.service('victim').pid!
    for (const pid of [...treeOf(victim), process.pid]) await expect(manager!.call('esc', 'kill', pid)).resolves.not.toBe('killed')
    expect(isAlive(victim)).toBe(true)
    await expect(manager!.call('victim', 'echo', 'still here')).resolves.toBe('still here')
  })

  linuxOnly('the control socket is out of reach, directly and through /proc/<manager>/root', async () => {
    const port = await freePort()
    const dir = stateDir()
    manager = fixtureManager({ esc: { entry: './escaper.ts', config: { port } } }, {}, dir)
    await manager!.start()
    seen.push(...treeOf(manager!.service('esc').pid!))
    // What `svc up` listens on, created after the service started (as the CLI may).
    const socket = join(privateDir(dir), 'control.sock')
    const control = createServer((s) => s.end('{"ok":true}\n')).listen(socket)
    servers.push(control)
    await new Promise((r) => control.once('listening', r))
    await expect(manager!.call('esc', 'connect', socket)).resolves.not.toBe('connected')
    await expect(manager!.call('esc', 'connect', `/proc/${process.pid}/root${socket}`)).resolves.not.toBe('connected')
    await expect(manager!.call('esc', 'read', join(privateDir(dir), 'runs', `${process.pid}.json`))).resolves.toBe('ENOENT')
  })

  linuxOnly("a service's CPU and RSS count the processes it forks", async () => {
    await escaper()
    await manager!.call('esc', 'grow')
    seen.push(...treeOf(manager!.service('esc').pid!))
    const sample = new Promise<number>((resolve) => manager!.on('usage', (u) => u.service === 'esc' && u.rss > 0 && resolve(u.rss)))
    expect(await sample).toBeGreaterThan(64 * 1024 * 1024)
  })
})

describe('stopping', () => {
  test('a SIGSTOPped service is continued before it is asked to close, so its close hook runs', async () => {
    await escaper()
    manager!.kill('esc', 'SIGSTOP')
    await manager!.close(['esc'])
    expect(manager!.service('esc').lastExit).toMatchObject({ reason: 'closed' })
    expect(manager!.logs('esc').map((l) => l.line)).toContain('close hook ran')
  })
})

test('the start-up report says which containment runs here', async () => {
  manager = fixtureManager({ e: { entry: './echo.ts' } }, {}, stateDir())
  const notices: string[] = []
  manager!.on('notice', (n) => notices.push(n.message))
  await manager!.start()
  expect(notices.join('\n')).toMatch(contained ? /containment: process tree contained — a PID namespace/ : /containment: process tree NOT contained/)
})
