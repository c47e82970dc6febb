// Real-process test helpers: managers rooted at the fixtures directory, and process liveness checks.

import { readdirSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { ServicesManager, type ManagerOptions, type Manifest, type StateChange } from '../../src/index.js'
import { statFields } from '../../src/supervision/proc-stat.js'

export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url))

export function fixtureManager(services: Manifest['services'], options: ManagerOptions = {}, stateDir?: string): ServicesManager {
  return new ServicesManager({ services, ...(stateDir ? { stateDir } : {}) }, { cwd: FIXTURES, ...options })
}

export function transitions(changes: StateChange[]): string[] {
  return changes.map((c) => `${c.service}:${c.to}`)
}

/** Alive and not a zombie (an exited process nobody reaped yet is gone for our purposes). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    return statFields(readFileSync(`/proc/${pid}/stat`, 'utf8'))[0] !== 'Z'
  } catch {
    return false
  }
}

/** Resolves when `name` has gone through `closed` and is `running` again: a restart, however fast. */
export function runningAgain(manager: ServicesManager, name: string): Promise<void> {
  return new Promise<void>((resolve) => {
    let closed = false
    const on = (c: StateChange) => {
      if (c.service !== name) return
      if (c.to === 'closed') closed = true
      if (closed && c.to === 'running') {
        manager.off('state', on)
        resolve()
      }
    }
    manager.on('state', on)
  })
}

/** Polls a condition that has no event to wait for (another process's death), with a deadline. */
export async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

export function parentOf(pid: number): number {
  return Number(statFields(readFileSync(`/proc/${pid}/stat`, 'utf8'))[1])
}

/** The manager's spawner process (container/spawner.ts) among `parent`'s children, if one is alive. */
export function spawnerOf(parent: number): number | null {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8')
      if (cmdline.includes('spawner-main') && parentOf(Number(entry)) === parent && isAlive(Number(entry))) return Number(entry)
    } catch {
      // gone meanwhile
    }
  }
  return null
}

/** A process and all its descendants (host pids): a service reports pids of its own PID namespace, which mean
 * nothing out here, so tests find its processes from the group leader the manager reports. */
export function treeOf(root: number): number[] {
  const tree: number[] = []
  for (let level = [root]; level.length > 0; ) {
    tree.push(...level)
    level = level.flatMap((pid) => {
      try {
        return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
          readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ').filter(Boolean).map(Number),
        )
      } catch {
        return []
      }
    })
  }
  return tree
}

/** A port nothing listens on right now (the OS picks it; closed again at once). */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await new Promise((r) => server.once('listening', r))
  const { port } = server.address() as { port: number }
  await new Promise((r) => server.close(r))
  return port
}
