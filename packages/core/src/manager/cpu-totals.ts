// CPU seconds each service has used, over its whole process tree and across its restarts: a counter for the
// metrics (svc_service_cpu_seconds_total). Built from the usage sampler's readings of every process's own CPU time:
// what a process used since the previous reading is added, so a process that exits, or a restart that replaces them
// all, never takes the total down. The CPU of a process that lived less than one sampling interval is missed, as is a
// process's last interval before it exits; its children's CPU, once reaped, is not read (cutime would count twice
// what was already read from the living child).

export class CpuTotals {
  readonly #services = new Map<string, { seconds: number; byPid: Map<number, number> }>()

  /** One sampling round of `service`: each process of its tree with the CPU seconds it has used since it started. */
  add(service: string, readings: ReadonlyMap<number, number>): void {
    let totals = this.#services.get(service)
    if (!totals) this.#services.set(service, (totals = { seconds: 0, byPid: new Map() }))
    for (const [pid, seconds] of readings) {
      // A pid seen for the first time is a new process: all its CPU is new. Less than before: the pid was reused.
      const delta = seconds - (totals.byPid.get(pid) ?? 0)
      if (delta > 0) totals.seconds += delta
    }
    totals.byPid = new Map(readings)
  }

  seconds(service: string): number {
    return this.#services.get(service)?.seconds ?? 0
  }
}
