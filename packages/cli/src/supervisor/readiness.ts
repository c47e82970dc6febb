// What `svc up` tells the supervisor above it (systemd through NOTIFY_SOCKET, any other through --ready-fd): ready
// once the graph runs, the number of services up as it changes, and stopping when it starts closing.

import type { ServicesManager } from '@services-cluster/core'
import { err } from '../output/colors.js'
import { openReadyFd, type ReadyFd } from './ready-fd.js'
import { startSdNotify, takeSdNotifyEnv, type SdNotifier } from './sd-notify.js'

export interface Readiness {
  /** Every requested service runs; `names` are them and their dependencies. */
  ready(manager: ServicesManager, names: string[]): void
  /** Closing has begun (a signal, `svc down`, a fatal failure or a failed start). */
  stopping(): void
  close(): void
}

/** Null when nobody above asked: no NOTIFY_SOCKET and no --ready-fd. */
export async function openReadiness(options: { readyFd?: number }): Promise<Readiness | null> {
  const fd: ReadyFd | null = options.readyFd === undefined ? null : openReadyFd(options.readyFd)
  const env = takeSdNotifyEnv()
  let sd: SdNotifier | null = null
  if (env) {
    try {
      sd = await startSdNotify(env, warn)
    } catch (error) {
      warn(`svc: NOTIFY_SOCKET is set, but systemd cannot be told the graph is ready: ${(error as Error).message}. A Type=notify unit will time out.`)
    }
  }
  if (!fd && !sd) return null
  let detach = () => {}
  return {
    ready(manager, names) {
      fd?.ready()
      if (!sd) return
      const notifier = sd
      // Up: running, or a one-shot that completed.
      const count = () => names.filter((name) => ['running', 'completed'].includes(manager.service(name).display)).length
      let running = count()
      notifier.ready(`${running}/${names.length} services up`)
      const onState = () => {
        const now = count()
        if (now === running) return
        running = now
        notifier.status(`${running}/${names.length} services up`)
      }
      manager.on('state', onState)
      detach = () => manager.off('state', onState)
    },
    stopping() {
      detach()
      sd?.stopping('closing services in reverse order')
    },
    close() {
      detach()
      fd?.close()
      sd?.close()
    },
  }
}

function warn(text: string): void {
  process.stderr.write(err.red(text) + '\n')
}
