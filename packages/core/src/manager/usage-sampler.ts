// Samples CPU % and RSS of every running service on an interval (/proc, or pidusage off Linux) and keeps a short
// history.
// A service's figures count its whole process tree (what it spawns itself: sh -c, workers, detached grandchildren in
// its PID namespace) and its child services (ctx.spawnChild).

import type { ServiceNode } from '../node/service-node.js'
import type { UsageSample } from '../protocol/snapshot.js'
import { CpuTotals } from './cpu-totals.js'
import { usageReader } from './proc-usage.js'
import { processTree } from './proc-tree.js'

export interface UsageSource {
  /** Service name → the roots of the process trees that count towards it (its own, plus its child services'). */
  pids(): Map<string, number[]>
}

export class UsageSampler {
  readonly #history = new Map<string, UsageSample[]>()
  #timer: NodeJS.Timeout | null = null
  #sampling = false
  readonly #reader = usageReader()
  readonly #cpu = new CpuTotals()

  constructor(
    private readonly source: UsageSource,
    private readonly onSample: (service: string, sample: UsageSample) => void,
    private readonly intervalMs = 1000,
    private readonly historyLength = 120,
  ) {}

  start(): void {
    if (this.#timer) return
    this.#timer = setInterval(() => void this.sample(), this.intervalMs)
    this.#timer.unref()
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = null
    this.#reader.keepOnly(new Set())
  }

  latest(service: string): UsageSample | null {
    return this.#history.get(service)?.at(-1) ?? null
  }

  history(service: string): UsageSample[] {
    return [...(this.#history.get(service) ?? [])]
  }

  /** CPU seconds of the service's process tree (child services included) since the manager started it, as sampled. */
  cpuSeconds(service: string): number {
    return this.#cpu.seconds(service)
  }

  private read(pid: number) {
    return this.#reader.read(pid)
  }

  async sample(): Promise<void> {
    if (this.#sampling) return // a slow sample must not pile up behind the interval
    this.#sampling = true
    try {
      const at = Date.now()
      const sampled = new Set<number>()
      // A process is read once per sample, though it counts for its service and its instance: a second read would
      // find almost no CPU time since the first.
      const reads = new Map<number, ReturnType<typeof this.read>>()
      const read = (pid: number) => reads.get(pid) ?? reads.set(pid, this.read(pid)).get(pid)!
      for (const [service, roots] of this.source.pids()) {
        const pids = (await Promise.all(roots.map(processTree))).flat()
        for (const pid of pids) sampled.add(pid)
        const stats = await Promise.allSettled(pids.map(read))
        let cpu = 0
        let rss = 0
        const cpuSeconds = new Map<number, number>()
        stats.forEach((s, i) => {
          if (s.status !== 'fulfilled') return
          cpu += s.value.cpu
          rss += s.value.rss
          cpuSeconds.set(pids[i]!, s.value.cpuSeconds)
        })
        if (cpuSeconds.size === 0) continue
        this.#cpu.add(service, cpuSeconds)
        const sample = { at, cpu: Math.round(cpu * 10) / 10, rss }
        let history = this.#history.get(service)
        if (!history) this.#history.set(service, (history = []))
        history.push(sample)
        if (history.length > this.historyLength) history.shift()
        this.onSample(service, sample)
      }
      this.#reader.keepOnly(sampled)
    } finally {
      this.#sampling = false
    }
  }
}

/** The pids each running service is charged for: its own, and those of its child services (and theirs); and each
 * instance's own (keyed `api#0`) where a service has several or a memory limit. */
export function pidsByService(nodes: ReadonlyMap<string, ServiceNode>): Map<string, number[]> {
  const pids = new Map<string, number[]>()
  for (const node of nodes.values()) {
    if (node.state === 'closed') continue
    for (const instance of node.instances) {
      const pid = instance.pid
      if (pid === null || !instance.live) continue
      for (let n: ServiceNode | undefined = node; n; n = n.service.parent ? nodes.get(n.service.parent) : undefined) {
        pids.set(n.name, [...(pids.get(n.name) ?? []), pid])
      }
      // Each instance on its own too, when there are several (limits.memoryMb, `svc ps`).
      if (node.instances.length > 1 || node.service.limits.memoryMb !== null) pids.set(instance.id, [pid])
    }
  }
  return pids
}
