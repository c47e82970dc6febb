// Creating a service process, whoever forks it: the manager itself (launchInline) or its spawner process
// (container/spawner.ts). Either way the manager ends up holding the same three pipes.

import { spawn } from 'node:child_process'
import type { Socket } from 'node:net'

export interface LaunchOptions {
  env: Record<string, string>
  cwd: string
  /** The service's shared listening socket (container/listen-socket.ts), handed down as fd 4. */
  listenFd?: number
}

/** Where a service process finds its shared listening socket; also in its environment as SVC_LISTEN_FD. */
export const LISTEN_FD = 4

/** The environment of a process that gets the listening socket. */
export function withListenFd(env: Record<string, string>, listenFd: number | undefined): Record<string, string> {
  return listenFd === undefined ? env : { ...env, SVC_LISTEN_FD: String(LISTEN_FD) }
}

export interface ExitStatus {
  code: number | null
  signal: string | null
}

export interface Launched {
  pid: number
  stdout: Socket
  stderr: Socket
  /** fd 3 in the service: the protocol's pipe. */
  channel: Socket
  /** Resolves when the process has exited (its pipes may still hold output). */
  exit: Promise<ExitStatus>
}

export type Launch = (file: string, args: string[], options: LaunchOptions) => Promise<Launched>

/** Forks in this process: spawn() blocks its event loop until the child has called exec. */
export function launchInline(file: string, args: string[], { env, cwd, listenFd }: LaunchOptions): Promise<Launched> {
  // node:child_process directly (not execa): the plain call costs about half the CPU per spawn.
  // Own process group (detached): the whole tree can be signalled at once. fd 3 is a socket pair framed by
  // FramePort on both ends — not Node's IPC channel, whose JSON the manager would have to parse and re-serialise
  // for every relayed call.
  // The listening socket, when there is one, is the child's fd 4 (libuv dup2()s it there, clearing close-on-exec).
  const stdio: Array<'ignore' | 'pipe' | number> = ['ignore', 'pipe', 'pipe', 'pipe']
  if (listenFd !== undefined) stdio.push(listenFd)
  const child = spawn(file, args, { stdio, detached: true, env: withListenFd(env, listenFd), cwd })
  const pid = child.pid
  // A missing cwd or binary: Node reports it on the next tick, and there is no process to wait for.
  if (pid === undefined) return new Promise((_, reject) => child.once('error', reject))
  child.on('error', () => {}) // a failed kill(); the exit still comes
  return Promise.resolve({
    pid,
    stdout: child.stdout as Socket,
    stderr: child.stderr as Socket,
    channel: child.stdio[3] as Socket,
    exit: new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal }))),
  })
}

export type ForkTurn = <T>(fork: () => T | Promise<T>) => Promise<T>

/** Runs forks one per turn of the event loop: each made in this process blocks it for a few milliseconds (more on a
 * busy machine), and several in one turn would add up to one long stall. */
export function oneForkPerTurn(): ForkTurn {
  let last: Promise<unknown> = Promise.resolve()
  return <T>(fork: () => T | Promise<T>): Promise<T> => {
    const turn = last.then(() => new Promise<void>((resolve) => setImmediate(resolve))).then(fork)
    last = turn.catch(() => {})
    return turn
  }
}

/** launchInline, one fork per turn of the event loop: how the manager forks when no spawner runs. */
export function launchInlineInTurns(): Launch {
  const inTurn = oneForkPerTurn()
  return (file, args, options) => inTurn(() => launchInline(file, args, options))
}
