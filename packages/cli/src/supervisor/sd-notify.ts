// systemd's notify protocol (sd_notify(3)) for `svc up` under Type=notify: READY=1 once the graph runs, STATUS= as
// the count of running services changes, STOPPING=1 when it starts closing, and WATCHDOG=1 every WATCHDOG_USEC/2.

import { debuglog } from 'node:util'
import { EAGAIN, openNotifySocket, type NotifySocket } from './notify-socket.js'

const trace = debuglog('svc:notify')
/** A datagram refused with EAGAIN (systemd's queue is full) is tried again this many times, this far apart. */
const RETRIES = 20
const RETRY_MS = 50

export interface SdNotifyEnv {
  socket: string
  /** Half the watchdog timeout, when systemd expects pings from this process; else null. */
  watchdogMs: number | null
}

/**
 * What systemd set for this process, removed from process.env as sd_notify's unset_environment does: the services
 * spawned later must not inherit NOTIFY_SOCKET (under NotifyAccess=all one of them could declare the graph ready).
 */
export function takeSdNotifyEnv(env: NodeJS.ProcessEnv = process.env, pid = process.pid): SdNotifyEnv | null {
  const socket = env.NOTIFY_SOCKET
  const usec = Number(env.WATCHDOG_USEC)
  const watchdogPid = env.WATCHDOG_PID
  delete env.NOTIFY_SOCKET
  delete env.WATCHDOG_USEC
  delete env.WATCHDOG_PID
  if (!socket) return null
  const ours = watchdogPid === undefined || watchdogPid === '' || Number(watchdogPid) === pid
  const watchdogMs = ours && Number.isFinite(usec) && usec > 0 ? Math.max(1, Math.floor(usec / 2000)) : null
  return { socket, watchdogMs }
}

export interface SdNotifier {
  ready(status: string): void
  status(status: string): void
  stopping(status: string): void
  close(): void
}

export async function startSdNotify(env: SdNotifyEnv, onProblem: (text: string) => void): Promise<SdNotifier> {
  const socket: NotifySocket = await openNotifySocket(env.socket)
  const send = (text: string, attempt = 0): void => {
    const errno = socket.send(text)
    trace('%s -> errno %d', text.replace(/\n/g, ' '), errno)
    if (errno === 0) return
    if (errno === EAGAIN && attempt < RETRIES) {
      setTimeout(() => send(text, attempt + 1), RETRY_MS).unref()
      return
    }
    onProblem(`svc: could not tell systemd "${text.split('\n')[0]}" through NOTIFY_SOCKET=${env.socket} (errno ${errno})`)
  }
  // The pings come from this event loop's timer: a loop blocked for half the timeout misses one, and systemd acts.
  const watchdog = env.watchdogMs === null ? null : setInterval(() => send('WATCHDOG=1'), env.watchdogMs)
  watchdog?.unref()
  if (watchdog) send('WATCHDOG=1')
  return {
    ready: (status) => send(`READY=1\nSTATUS=${oneLine(status)}\nMAINPID=${process.pid}`),
    status: (status) => send(`STATUS=${oneLine(status)}`),
    stopping: (status) => send(`STOPPING=1\nSTATUS=${oneLine(status)}`),
    close() {
      if (watchdog) clearInterval(watchdog)
      socket.close()
    },
  }
}

// A newline would start another KEY=value pair.
function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ')
}
