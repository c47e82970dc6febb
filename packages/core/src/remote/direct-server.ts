// The target side of direct calls: a Unix socket that admits callers holding a token from the manager, and
// serves their calls with the same method lookup as relayed requests.

import { timingSafeEqual } from 'node:crypto'
import { rmSync } from 'node:fs'
import { createServer, type Server, type Socket } from 'node:net'
import { serializeError, svcError } from '../errors.js'
import { directToken } from '../protocol/direct-token.js'
import { isDirectCall, type DirectFrame } from '../protocol/messages.js'
import { readFrames, writeFrame } from './frames.js'

export type Invoke = (from: string, method: string, args: unknown[]) => Promise<unknown>

export class DirectServer {
  readonly #sockets = new Set<Socket>()

  private constructor(
    private readonly server: Server,
    readonly path: string,
  ) {}

  static async listen(path: string, key: string, self: string, invoke: Invoke): Promise<DirectServer> {
    rmSync(path, { force: true }) // a socket file left by a process that was killed
    const server = createServer()
    const direct = new DirectServer(server, path)
    server.on('connection', (socket) => direct.#admit(socket, key, self, invoke))
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(path, () => {
        server.off('error', reject)
        resolve()
      })
    })
    return direct
  }

  /** Stops accepting and cuts every caller off: their pending calls fail as if the service had closed. */
  close(): void {
    this.server.close()
    for (const socket of this.#sockets) socket.destroy()
    rmSync(this.path, { force: true })
  }

  #admit(socket: Socket, key: string, self: string, invoke: Invoke): void {
    this.#sockets.add(socket)
    socket.on('close', () => this.#sockets.delete(socket))
    socket.on('error', () => {}) // the caller went away; 'close' follows
    let caller: string | null = null
    readFrames(
      socket,
      (frame) => {
        if (caller === null) {
          caller = admitted(frame, key)
          if (caller === null) socket.destroy() // no valid token: not one call is served
          return
        }
        if (!isDirectCall(frame)) return socket.destroy()
        void serve(socket, self, caller, frame, invoke)
      },
      () => socket.destroy(),
    )
  }
}

function admitted(frame: unknown, key: string): string | null {
  const f = frame as Partial<Extract<DirectFrame, { t: 'hello' }>> | null
  if (typeof f !== 'object' || f === null || f.t !== 'hello' || typeof f.caller !== 'string' || typeof f.token !== 'string') return null
  const expected = Buffer.from(directToken(key, f.caller))
  const given = Buffer.from(f.token)
  return expected.length === given.length && timingSafeEqual(expected, given) ? f.caller : null
}

async function serve(socket: Socket, self: string, caller: string, call: Extract<DirectFrame, { t: 'call' }>, invoke: Invoke): Promise<void> {
  let result: DirectFrame
  try {
    result = { t: 'result', id: call.id, ok: true, value: await invoke(caller, call.method, call.args) }
  } catch (error) {
    result = { t: 'result', id: call.id, ok: false, error: serializeError(error) }
  }
  if (socket.destroyed) return
  try {
    writeFrame(socket, result)
  } catch (cause) {
    const error = svcError('SVC_ERR_NOT_SERIALIZABLE', `Service "${self}": the result of ${call.method} cannot be sent (${(cause as Error).message}). Return JSON-serialisable values.`, { service: self })
    writeFrame(socket, { t: 'result', id: call.id, ok: false, error: serializeError(error) })
  }
}
