// A service as the manager sees it; shared by the host API, the control socket and `ctx.services()`.

/** `completed`: a one-shot whose process exited 0 (it stays so until closed or run again). */
export type ServiceState = 'starting' | 'running' | 'completed' | 'closing' | 'closed'

/** An instance's own state (node/instance.ts): `draining` takes no new calls and finishes the ones it has. */
export type InstanceState = 'starting' | 'running' | 'draining' | 'closing' | 'closed'

/** One process of a service, as `svc ps` and the dashboard show it. */
export interface InstanceSnapshot {
  /** `api#0`, `api#1` … */
  id: string
  index: number
  state: InstanceState
  pid: number | null
  /** Calls sent to it and not answered yet. */
  inFlight: number
  restarts: number
  startedAt: number | null
  /** Where it runs. */
  host: string
  usage: UsageSample | null
}

/** States shown to people: the real ones, plus derived ones that explain a `closed`. */
export type DisplayState = ServiceState | 'crashed' | 'restarting' | 'failed' | 'stopped' | 'pending'

/** See DependencyCondition in the manifest's types. */
export type EdgeCondition = 'started' | 'ready' | 'completed'

export interface ExitInfo {
  code: number | null
  signal: string | null
  /** Why the process ended: asked to close, crashed, killed by the stop escalation, ...; 'moved': its host (in a
   * cluster on NATS) closed alone and handed the instance over to another. */
  reason: 'closed' | 'crashed' | 'sigterm' | 'sigkill' | 'start-failed' | 'lost-channel' | 'unhealthy' | 'completed' | 'moved'
  at: number
  error?: { name: string; message: string; code?: string; stack?: string }
}

export interface UsageSample {
  at: number
  cpu: number
  rss: number
}

export interface ServiceSnapshot {
  name: string
  state: ServiceState
  display: DisplayState
  pid: number | null
  /** restart.warmSpare: the booted, idle process the next start will use (null while none has booted). */
  sparePid: number | null
  /** `direct: true`: the Unix socket it serves direct calls on while running. */
  directSocket: string | null
  dependsOn: string[]
  /** What it waits for from each dependency. */
  conditions: Record<string, EdgeCondition>
  /** `node`: a module with a typed API; `command`: any executable (see `command`). */
  kind: 'node' | 'command'
  /** A command service's command line, as people read it. */
  command: string | null
  oneshot: boolean
  /** While it starts: what it waits for to count as ready ("tcp 127.0.0.1:6390"); otherwise null. */
  waitingFor: string | null
  restarts: number
  startedAt: number | null
  lastExit: ExitInfo | null
  usage: UsageSample | null
  calls: { count: number; errors: number; totalMs: number }
  critical: boolean
  parent: string | null
  /** How many instances it is meant to have (`instances`, or `scale`). */
  desiredInstances: number
  /** Its processes, oldest first; during a reload, the replacement beside the one it replaces. */
  instances: InstanceSnapshot[]
  /** `listen`: where its shared socket listens (the real port when 0 was asked for), once opened; else null. */
  listen: { host: string; port: number } | null
}
