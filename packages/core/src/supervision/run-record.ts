// The manager's record of its run in the state directory: which process groups it owns. A later start
// reads the records of managers that died without closing and kills what they left behind.

import type { ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { debuglog } from 'node:util'
import { privateDir } from './private-dir.js'
import { statFields } from './proc-stat.js'
import { startWatchdog } from './watchdog.js'

const trace = debuglog('svc:run')
const WRITE_INTERVAL_MS = 100

interface Record {
  /** Every process of the run carries SVC_RUN=<runId> in its environment (inherited by grandchildren). */
  runId: string
  managerPid: number
  watchdogPid: number | null
  startedAt: number
  groups: number[]
}

export class RunRecord {
  readonly #groups = new Set<number>()
  readonly #file: string
  readonly #dir: string
  /** Put in every service's environment as SVC_RUN, so leftovers can be told apart from anyone else's processes. */
  readonly runId = randomUUID()
  #watchdog: ChildProcess | null = null
  #pendingWrite: NodeJS.Timeout | null = null
  #lastWrite = -Infinity
  /** The write under way; #rewrite: the groups changed meanwhile, so another follows it. */
  #writing: Promise<void> | null = null
  #rewrite = false
  #closed = false
  #startedAt = Date.now()

  constructor(stateDir: string) {
    this.#dir = join(privateDir(stateDir), 'runs')
    this.#file = join(this.#dir, `${process.pid}.json`)
  }

  /** Kills what dead managers left behind (their records name them), then starts this run's watchdog. */
  open(): { killed: number[] } {
    this.#closed = false
    this.#startedAt = Date.now()
    mkdirSync(this.#dir, { recursive: true, mode: 0o700 })
    const killed = reapLeftovers(this.#dir)
    this.#watchdog ??= startWatchdog((error) => trace('watchdog failed: %o', error))
    this.#write()
    return { killed }
  }

  add(pgid: number): void {
    this.#groups.add(pgid)
    this.#watchdog?.stdin?.write(`+${pgid}\n`)
    this.#writeSoon()
  }

  remove(pgid: number): void {
    if (!this.#groups.delete(pgid)) return
    this.#watchdog?.stdin?.write(`-${pgid}\n`)
    this.#writeSoon()
  }

  /** A clean close: nothing is left to reap. */
  async close(): Promise<void> {
    if (this.#pendingWrite) clearTimeout(this.#pendingWrite)
    this.#pendingWrite = null
    this.#closed = true
    this.#watchdog?.stdin?.end('.\n')
    this.#watchdog = null
    await this.#writing // a write under way would put the record back
    rmSync(this.#file, { force: true })
  }

  // At most one write per WRITE_INTERVAL_MS, not one per process: a graph starting up changes the record dozens of
  // times. The watchdog is told at once (above); the file only matters if the watchdog dies together with the
  // manager, and then it lags by at most WRITE_INTERVAL_MS and one write.
  #writeSoon(): void {
    if (this.#pendingWrite) return
    const wait = this.#lastWrite + WRITE_INTERVAL_MS - performance.now()
    if (wait <= 0) {
      this.#write()
      return
    }
    this.#pendingWrite = setTimeout(() => {
      this.#pendingWrite = null
      this.#write()
    }, wait).unref()
  }

  // Off the event loop, one write at a time: on ext4 a rename over the old record starts the new one's writeback,
  // and synchronous it took 1.4–2.4 ms on average and up to 7 ms on a loaded 2-core machine — 20–35 ms of the
  // manager's event loop during a 50-service start-up, and a share of its worst stall. The rename keeps it atomic.
  #write(): void {
    if (this.#closed) return
    this.#lastWrite = performance.now()
    if (this.#writing) {
      this.#rewrite = true
      return
    }
    const record: Record = { runId: this.runId, managerPid: process.pid, watchdogPid: this.#watchdog?.pid ?? null, startedAt: this.#startedAt, groups: [...this.#groups] }
    const tmp = this.#file + '.tmp'
    this.#writing = writeFile(tmp, JSON.stringify(record))
      .then(() => rename(tmp, this.#file))
      .catch((error) => trace('cannot write run record: %o', error))
      .finally(() => {
        this.#writing = null
        if (this.#rewrite && !this.#closed) {
          this.#rewrite = false
          this.#write()
        }
      })
  }
}

function reapLeftovers(dir: string): number[] {
  const killed: number[] = []
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.json')) continue
    const path = join(dir, name)
    let record: Record
    try {
      record = JSON.parse(readFileSync(path, 'utf8')) as Record
    } catch {
      rmSync(path, { force: true })
      continue
    }
    if (record.managerPid === process.pid || isAlive(record.managerPid)) continue
    for (const pgid of record.groups) {
      // Only signal a group that still holds a process of that very run (pids get reused).
      if (!record.runId || !groupHoldsRun(pgid, record.runId)) continue
      try {
        process.kill(-pgid, 'SIGKILL')
        killed.push(pgid)
      } catch {}
    }
    rmSync(path, { force: true })
  }
  return killed
}

// A zombie (exited, not yet reaped — PID 1 in some containers never reaps) counts as dead.
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
  try {
    return statFields(readFileSync(`/proc/${pid}/stat`, 'utf8'))[0] !== 'Z'
  } catch {
    return true
  }
}

// A member of the group carries SVC_RUN=<runId> in its environment (set for every service of the run, inherited
// by whatever it spawns). The leader may be gone while its grandchildren live on, so scan the whole group.
function groupHoldsRun(pgid: number, runId: string): boolean {
  const marker = `SVC_RUN=${runId}\0`
  let pids: string[]
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p))
  } catch {
    return false // no /proc (macOS): do not guess
  }
  for (const pid of pids) {
    try {
      const fields = statFields(readFileSync(`/proc/${pid}/stat`, 'utf8'))
      if (Number(fields[2]) !== pgid) continue // field 5 of stat: the process group
      if (readFileSync(`/proc/${pid}/environ`, 'utf8').includes(marker)) return true
    } catch {}
  }
  return false
}
