// A service as the manager sees it; shared by the host API, the control socket and `ctx.services()`.

export type ServiceState = 'starting' | 'running' | 'closing' | 'closed'

/** States shown to people: the four real ones, plus derived ones that explain a `closed`. */
export type DisplayState = ServiceState | 'crashed' | 'restarting' | 'failed' | 'stopped' | 'pending'

export interface ExitInfo {
  code: number | null
  signal: string | null
  /** Why the process ended: asked to close, crashed, killed by the stop escalation, ... */
  reason: 'closed' | 'crashed' | 'sigterm' | 'sigkill' | 'start-failed' | 'lost-channel' | 'unhealthy'
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
  restarts: number
  startedAt: number | null
  lastExit: ExitInfo | null
  usage: UsageSample | null
  calls: { count: number; errors: number; totalMs: number }
  critical: boolean
  parent: string | null
}
