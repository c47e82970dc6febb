// CPU time and RSS of a process, read from /proc on Linux. pidusage's first call runs `getconf` twice through a
// shell, which forks twice from the manager's event loop — a second after the first start, in the middle of a
// start-up. Elsewhere pidusage is used as is.

import { readFile } from 'node:fs/promises'
import pidusage from 'pidusage'
import { statFields } from '../supervision/proc-stat.js'

/** USER_HZ, the unit of /proc's CPU times: 100 in Linux's ABI on every architecture Node runs on. */
const TICKS_PER_SECOND = 100

export interface ProcessUsage {
  /** CPU % (of one core) since the previous reading of this pid, or since the process started. */
  cpu: number
  rss: number
  /** CPU time (user + system) the process has used since it started, in seconds. */
  cpuSeconds: number
}

export interface UsageReader {
  read(pid: number): Promise<ProcessUsage>
  /** Forgets what it keeps of every other pid (their processes are gone). */
  keepOnly(pids: ReadonlySet<number>): void
}

export function usageReader(): UsageReader {
  if (process.platform === 'linux') return new ProcReader()
  return {
    read: async (pid) => {
      const { cpu, memory, ctime } = await pidusage(pid)
      return { cpu, rss: memory, cpuSeconds: ctime / 1000 }
    },
    keepOnly: (pids) => pids.size === 0 && pidusage.clear(), // pidusage forgets gone pids by itself
  }
}

class ProcReader implements UsageReader {
  /** CPU milliseconds and when, per pid, from the previous reading. */
  readonly #previous = new Map<number, { cpuMs: number; at: number }>()
  /** Milliseconds since boot at performance.now() = 0: a process's start time is counted from boot. Read once. */
  #bootOffset: Promise<number> | null = null

  async read(pid: number): Promise<ProcessUsage> {
    this.#bootOffset ??= readFile('/proc/uptime', 'utf8').then((uptime) => Number(uptime.split(' ')[0]) * 1000 - performance.now())
    const [stat, status, bootOffset] = await Promise.all([
      readFile(`/proc/${pid}/stat`, 'utf8'),
      readFile(`/proc/${pid}/status`, 'utf8'),
      this.#bootOffset,
    ])
    // utime, stime and starttime: fields 14, 15 and 22 of proc(5).
    const fields = statFields(stat)
    const cpuMs = ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND
    const at = performance.now() + bootOffset
    const previous = this.#previous.get(pid) ?? { cpuMs: 0, at: (Number(fields[19]) * 1000) / TICKS_PER_SECOND }
    this.#previous.set(pid, { cpuMs, at })
    const elapsed = at - previous.at
    return {
      cpu: elapsed > 0 ? (Math.max(0, cpuMs - previous.cpuMs) / elapsed) * 100 : 0,
      rss: Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024,
      cpuSeconds: cpuMs / 1000,
    }
  }

  keepOnly(pids: ReadonlySet<number>): void {
    for (const pid of this.#previous.keys()) if (!pids.has(pid)) this.#previous.delete(pid)
  }
}
