import { afterEach, expect, test } from '@jest/globals'
import { fork } from 'node:child_process'
import { once } from 'node:events'
import type { Socket } from 'node:net'
import { fileURLToPath } from 'node:url'
import { Spawner } from '../../src/container/spawner.js'
import { ServicesManager } from '../../src/index.js'
import { FIXTURES, fixtureManager, isAlive, parentOf, runningAgain, spawnerOf, until } from './harness.js'

// The spawner process with real processes: who forks, whether anything a service writes before the manager holds
// its pipes is lost, exit statuses, spawn failures, and what happens when the spawner dies or closes.
const PROBE = `${FIXTURES}launch-probe.mjs`
const spawners: Spawner[] = []
let manager: ServicesManager | undefined
/** Process groups a test made by hand (each its own group): SIGKILLed afterwards, should the test fail midway. */
const groups: number[] = []
afterEach(async () => {
  await manager?.close()
  manager = undefined
  await Promise.all(spawners.splice(0).map((s) => s.close()))
  for (const pgid of groups.splice(0)) {
    try {
      process.kill(-pgid, 'SIGKILL')
    } catch {
      // gone, as it should be
    }
  }
})

function spawner(): Spawner {
  const s = new Spawner()
  spawners.push(s)
  return s
}

const launchProbe = (s: Spawner, cwd = FIXTURES) => s.launch(process.execPath, [PROBE], { env: { ...process.env } as Record<string, string>, cwd })

function received(socket: Socket, expected: string): Promise<void> {
  let text = ''
  return new Promise((resolve) => {
    const on = (chunk: Buffer) => {
      text += chunk.toString()
      if (text.includes(expected)) {
        socket.off('data', on)
        resolve()
      }
    }
    socket.on('data', on)
  })
}

test('once ready, the spawner forks; nothing written before the manager holds the pipes is lost; exit codes arrive', async () => {
  const s = spawner()
  await expect(s.whenReady()).resolves.toBe(true)
  const probe = await launchProbe(s)
  expect(parentOf(probe.pid)).toBe(s.pid)
  await Promise.all([received(probe.stdout, 'out at start'), received(probe.stderr, 'err at start'), received(probe.channel, 'hello')])
  probe.channel.write('exit 7')
  await expect(probe.exit).resolves.toEqual({ code: 7, signal: null })
})

test('until the spawner is ready, processes are forked by the manager itself', async () => {
  const s = spawner()
  const probe = await launchProbe(s) // the first launch boots the spawner; it is not ready yet
  expect(parentOf(probe.pid)).toBe(process.pid)
  await received(probe.channel, 'hello')
  process.kill(probe.pid, 'SIGTERM')
  await expect(probe.exit).resolves.toEqual({ code: null, signal: 'SIGTERM' })
})

test('a process that cannot be created fails its launch with the reason', async () => {
  const s = spawner()
  await expect(s.whenReady()).resolves.toBe(true)
  await expect(launchProbe(s, '/nonexistent-svc-dir')).rejects.toThrow(/ENOENT/)
  await expect(launchProbe(s, PROBE)).rejects.toThrow(/ENOTDIR/) // a file as the working directory
})

/** A ready spawner and a probe it forked, which has said hello and whose channel is read as a container reads it
 * (the pipe's close is how an orphan's end is seen). */
async function probeThroughSpawner() {
  const s = spawner()
  await expect(s.whenReady()).resolves.toBe(true)
  const spawnerPid = s.pid!
  const probe = await launchProbe(s)
  await received(probe.channel, 'hello')
  probe.channel.resume()
  return { s, spawnerPid, probe }
}

test('when the spawner dies, what it forked is killed and reported gone; launches fork here until a new one runs', async () => {
  const { s, spawnerPid: first, probe: orphan } = await probeThroughSpawner()
  process.kill(first, 'SIGKILL')
  await expect(orphan.exit).resolves.toEqual({ code: null, signal: 'SIGKILL' })
  // Reported once its pipes close: the kernel closes a dying process's files a moment before it is a zombie.
  await until(() => !isAlive(orphan.pid), 5000, 'the orphan to be gone')
  const inline = await launchProbe(s)
  expect(parentOf(inline.pid)).toBe(process.pid)
  await expect(s.whenReady()).resolves.toBe(true)
  expect(s.pid).not.toBe(first)
  inline.channel.write('exit 0')
  await inline.exit
})

// The spawner's own program, as the manager runs it but with its stderr captured: it forks the probe, then is
// stopped while the probe is killed, so the exit is pending when the manager's channel closes. Whether the spawner
// then sees the exit or the closed channel first is up to its event loop.
async function exitAsManagerGoes(): Promise<{ code: number | null; stderr: string }> {
  const main = fileURLToPath(new URL('../../dist/container/spawner-main.bundle.cjs', import.meta.url))
  const child = fork(main, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], detached: true })
  groups.push(child.pid!)
  let stderr = ''
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  await once(child, 'message') // ready
  const pipes: Socket[] = []
  const forked = new Promise<number>((resolve) =>
    child.on('message', (message: { pid?: number }, handle?: Socket) => {
      if (handle) pipes.push(handle)
      if (pipes.length === 3) resolve(message.pid!)
    }),
  )
  child.send({ id: 0, file: process.execPath, args: [PROBE], env: { ...process.env }, cwd: FIXTURES })
  const probe = await forked
  groups.push(probe)
  process.kill(child.pid!, 'SIGSTOP')
  process.kill(-probe, 'SIGKILL')
  await until(() => !isAlive(probe), 5000, 'the probe to exit')
  child.disconnect()
  process.kill(child.pid!, 'SIGCONT')
  const [code] = await once(child, 'exit')
  for (const pipe of pipes) pipe.destroy()
  return { code, stderr }
}

test('a process that exits as the manager goes is no error in the spawner: it exits quietly', async () => {
  // The order that used to fail (an EPIPE thrown from the exit's report) comes up in some runs, not all: three at
  // once failed in 2 of 5 runs before the fix.
  const results = await Promise.all([exitAsManagerGoes(), exitAsManagerGoes(), exitAsManagerGoes()])
  expect(results).toEqual(Array(3).fill({ code: 0, stderr: '' }))
})

test('close() ends the spawner, which kills whatever it forked that still runs', async () => {
  const { s, spawnerPid: pid, probe } = await probeThroughSpawner()
  await s.close()
  await expect(probe.exit).resolves.toMatchObject({ code: null })
  await until(() => !isAlive(probe.pid), 5000, 'the probe to be gone') // as above: files close first
  expect(isAlive(pid)).toBe(false)
})

test("a manager's services survive the loss of its spawner as crashes: restarted, and the manager works on", async () => {
  manager = fixtureManager({ echo: { entry: './echo.ts' }, other: { entry: './echo.ts' } }, { spawner: true })
  await manager.start() // forked here while the spawner boots
  const pidOf = (name: string) => manager!.services().find((s) => s.name === name)!.pid!
  const spawnerPid = spawnerOf(process.pid)
  expect(spawnerPid).not.toBeNull()
  // A restart once the spawner is ready forks through it (it is ready long before one start-up ends).
  for (let i = 0; i < 5 && parentOf(pidOf('echo')) !== spawnerPid; i++) await manager.restart('echo')
  expect(parentOf(pidOf('echo'))).toBe(spawnerPid)
  const other = pidOf('other')
  const back = runningAgain(manager, 'echo')
  process.kill(spawnerPid!, 'SIGKILL')
  await back
  await expect(manager.call('echo', 'echo', 'still here')).resolves.toBe('still here')
  expect(pidOf('other')).toBe(other) // forked by the manager itself: not the spawner's to lose
  await manager.close()
  manager = undefined
  expect(spawnerOf(process.pid)).toBeNull()
})

test.each([
  ['with spawner: false in the manifest', { services: { echo: { entry: './echo.ts' } }, spawner: false }],
  ['by default, in a graph of up to 16 services', { services: { echo: { entry: './echo.ts' } } }],
])('%s, the manager forks every service itself and runs no spawner', async (_, manifest) => {
  manager = new ServicesManager(manifest, { cwd: FIXTURES })
  await manager.start()
  await manager.restart('echo') // a spawner would be running by now
  expect(parentOf(manager.service('echo').pid!)).toBe(process.pid)
  expect(spawnerOf(process.pid)).toBeNull()
})

test("the spawner runs without the manager's NODE_OPTIONS (a --require'd agent is the services' business)", async () => {
  const before = process.env.NODE_OPTIONS
  process.env.NODE_OPTIONS = '--require /nonexistent-svc-agent.js' // any Node start that honoured it would fail
  try {
    await expect(spawner().whenReady()).resolves.toBe(true)
  } finally {
    if (before === undefined) delete process.env.NODE_OPTIONS
    else process.env.NODE_OPTIONS = before
  }
})
