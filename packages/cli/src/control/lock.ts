// One manager per project: a pid file created with O_EXCL, and stale sockets/pid files of dead runs cleaned up.

import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { relative } from 'node:path'
import { cliError } from '../errors.js'
import type { StatePaths } from './paths.js'

export interface ManagerLock {
  release(): void
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
  return !isZombie(pid)
}

// A detached manager is reparented; where nobody reaps it, it stays a zombie after exiting: that is dead.
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z'
  } catch {
    return false // no /proc (macOS): kill(0) is all we know
  }
}

/** Waits for a process that is not our child to end (there is no event for that: poll). */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs
  while (isAlive(pid)) {
    if (Date.now() > end) return false
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return true
}

export function readLockPid(paths: StatePaths): number | null {
  try {
    const pid = Number.parseInt(readFileSync(paths.lock, 'utf8'), 10)
    return Number.isInteger(pid) && pid > 0 ? pid : null
  } catch {
    return null
  }
}

/** True when something answers on the socket; false when it is missing or nobody listens (a dead run's leftover). */
export function socketAnswers(path: string, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path)
    const done = (answers: boolean) => {
      clearTimeout(timer)
      socket.destroy()
      resolve(answers)
    }
    const timer = setTimeout(() => done(true), timeoutMs) // accepted but slow: someone is there
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

export async function acquireLock(paths: StatePaths, project: string): Promise<ManagerLock> {
  mkdirSync(paths.privateDir, { recursive: true, mode: 0o700 })
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(paths.lock, `${process.pid}\n`, { flag: 'wx', mode: 0o600 })
      break
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    const pid = readLockPid(paths)
    if (pid !== null && pid !== process.pid && isAlive(pid)) throw alreadyRunning(project, paths, pid)
    removeQuietly(paths.lock) // a dead run's pid file
    if (attempt === 2) throw alreadyRunning(project, paths, pid)
  }
  // A socket file whose owner is gone cannot be listened on again: detect it by connecting, then remove it.
  if (await socketAnswers(paths.socket)) {
    removeQuietly(paths.lock)
    throw alreadyRunning(project, paths, null)
  }
  removeQuietly(paths.socket)
  return {
    release() {
      if (readLockPid(paths) === process.pid) removeQuietly(paths.lock)
    },
  }
}

/** Clients call this when nothing answers: a leftover socket and pid file of a dead manager are removed. */
export function cleanStale(paths: StatePaths): boolean {
  const pid = readLockPid(paths)
  if (pid !== null && isAlive(pid)) return false
  removeQuietly(paths.socket)
  removeQuietly(paths.lock)
  return true
}

export function removeQuietly(path: string): void {
  try {
    unlinkSync(path)
  } catch {
    // already gone
  }
}

function alreadyRunning(project: string, paths: StatePaths, pid: number | null) {
  const where = relative(process.cwd(), paths.socket) || paths.socket
  return cliError('SVC_ERR_CLI_ALREADY_RUNNING', `A manager is already running for ${project}${pid ? ` (pid ${pid})` : ''}, with its control socket at ${where}.`, {
    hint: 'Use `svc ps` to see it, or `svc down` to stop it first.',
  })
}
