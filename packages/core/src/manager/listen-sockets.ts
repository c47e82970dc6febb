// Who owns the listening sockets of services with `listen` (container/listen-socket.ts): the manager, for as long as
// the service is in its graph. A socket is opened on the service's first start and kept across its restarts, crashes
// and stops — while no process accepts, connections wait in the kernel's backlog instead of being refused. It is
// closed when the service leaves the graph (apply, a child service's end) and when the manager closes.

import { debuglog } from 'node:util'
import { openListenSocket, type ListenSocket } from '../container/listen-socket.js'
import type { ResolvedService } from '../manifest/normalize.js'

const trace = debuglog('svc:listen')

interface Held {
  /** host and port as the manifest asked (port 0 stays 0 here: the kernel's pick is kept, not asked for again). */
  asked: string
  socket: Promise<ListenSocket>
}

export class ListenSockets {
  readonly #held = new Map<string, Held>()

  /** The service's socket: the one it has, else a new one; a redefined `listen` (apply) replaces it. */
  fdFor(service: ResolvedService): Promise<ListenSocket> {
    const { name, listen } = service
    if (!listen) return Promise.reject(new Error(`service "${name}" has no listen`))
    const asked = `${listen.host} ${listen.port}`
    const held = this.#held.get(name)
    if (held?.asked === asked) return held.socket
    if (held) this.close(name)
    const socket = openListenSocket(name, listen.host, listen.port)
    // A failure (port in use) is not kept: the next start tries again.
    socket.catch(() => {
      if (this.#held.get(name)?.socket === socket) this.#held.delete(name)
    })
    this.#held.set(name, { asked, socket })
    return socket
  }

  /** The service left the graph: its port is free again. */
  close(name: string): void {
    const held = this.#held.get(name)
    if (!held) return
    this.#held.delete(name)
    trace('%s: closing its socket', name)
    held.socket.then((socket) => socket.close(), () => {})
  }

  /** Resolves once every socket is closed (one still opening is closed as soon as it is open). */
  async closeAll(): Promise<void> {
    const held = [...this.#held.values()]
    this.#held.clear()
    await Promise.all(held.map((h) => h.socket.then((socket) => socket.close(), () => {})))
  }
}
