// The spawner: a small process the manager forks once, which forks every service process for it.
//
// Why: Node's spawn() is synchronous. libuv forks — copying the parent's page tables — and then waits until the
// child has called exec, and under load the child first waits for a core behind the services that are booting. In
// the manager that blocked its event loop (and with it every relayed call) for 6–8 ms per spawn on average and up
// to 14–37 ms during a 50-service start-up on 2 cores. A worker thread helps little: it shares the manager's address
// space, and the main thread's page faults wait for the fork. Here it blocks only this process (docs/supervision.md).
//
// Protocol (Node's IPC channel, JSON):
//   spawner → manager  'ready', once
//   manager → spawner  { id, file, args, env, cwd }
//   spawner → manager  { id, pid, stream: 'stdout' | 'stderr' | 'channel' } with the parent's end of that pipe as
//                      the handle, three messages; or { id, error } when the process could not be created;
//                      then { id, exit: { code, signal } } when it ends.
// When the manager's channel closes — it closed, or died — every process group still alive is killed.

import { spawn, type ChildProcess } from 'node:child_process'
import type { Socket } from 'node:net'
import { killGroup } from './terminate.js'

export interface LaunchRequest {
  id: number
  file: string
  args: string[]
  env: Record<string, string>
  cwd: string
}

export type SpawnerMessage =
  | { id: number; pid: number; stream: 'stdout' | 'stderr' | 'channel' }
  | { id: number; error: string }
  | { id: number; exit: { code: number | null; signal: string | null } }

const alive = new Set<number>()
// The manager may be gone by the time a process exits (EPIPE): no error here, 'disconnect' follows and ends this one.
const send = (message: SpawnerMessage, handle?: Socket): void => {
  if (process.connected) process.send?.(message, handle, undefined, () => {})
}

process.on('message', (request: LaunchRequest) => {
  let child: ChildProcess
  try {
    child = spawn(request.file, request.args, { stdio: ['ignore', 'pipe', 'pipe', 'pipe'], detached: true, env: request.env, cwd: request.cwd })
  } catch (error) {
    send({ id: request.id, error: (error as Error).message })
    return
  }
  const pid = child.pid
  if (pid === undefined) {
    // A missing cwd or binary: Node reports it on the next tick, and there is no process to wait for.
    child.once('error', (error) => send({ id: request.id, error: error.message }))
    return
  }
  alive.add(pid)
  child.once('exit', (code, signal) => {
    alive.delete(pid)
    send({ id: request.id, exit: { code, signal } })
  })
  for (const [stream, socket] of [['stdout', child.stdout], ['stderr', child.stderr], ['channel', child.stdio[3]]] as const) {
    // Node starts reading a new pipe at once; whatever this process read would never reach the manager. Stop
    // before the loop turns, so every byte waits in the pipe for the manager's end.
    ;(socket as unknown as { _handle: { readStop(): void } })._handle.readStop()
    send({ id: request.id, pid, stream }, socket as Socket)
  }
})

process.send?.('ready')

process.on('disconnect', () => {
  for (const pid of alive) killGroup(pid)
  process.exit(0)
})
