// Stop as an escalation: (SIGCONT) → close message → grace → stop signal (SIGTERM unless the service names another)
// → grace → SIGKILL, to the whole process group. A command service has no close message: it starts at the signal.

import type { ExitReport } from './service-container.js'

export interface Escalation {
  /** Sends the close message; false when there is none to send (a command service, or its channel is gone). */
  requestClose(): boolean
  stopSignal: NodeJS.Signals
  exited: Promise<{ code: number | null; signal: string | null }>
  pid: number
  stopTimeoutMs: number
  killTimeoutMs: number
}

export async function escalateStop(e: Escalation): Promise<ExitReport> {
  // A stopped (SIGSTOP) service could not read the close message, and would end by SIGKILL without its close hook.
  signalGroup(e.pid, 'SIGCONT')
  const asked = e.requestClose()
  let ended = asked ? await within(e.exited, e.stopTimeoutMs) : undefined
  if (ended) return { ...ended, expected: true, step: 'closed' }
  signalGroup(e.pid, e.stopSignal)
  ended = await within(e.exited, e.killTimeoutMs)
  if (ended) return { ...ended, expected: true, step: 'sigterm' }
  signalGroup(e.pid, 'SIGKILL')
  return { ...(await e.exited), expected: true, step: 'sigkill' }
}

/** Signals the process group (the service and everything it spawned); falls back to the pid alone. */
export function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal)
    return true
  } catch {
    try {
      process.kill(pid, signal)
      return true
    } catch {
      return false
    }
  }
}

/** SIGKILLs a process group, or what is left of it once its leader has exited; a group already gone is no error. */
export function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL')
  } catch {
    // no process left in the group
  }
}

function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), ms)
    void promise.then((value) => {
      clearTimeout(timer)
      resolve(value)
    })
  })
}
