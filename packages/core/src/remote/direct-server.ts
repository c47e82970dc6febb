// The target side of direct calls: a Unix socket that admits callers holding a token from the manager, and
// serves their calls with the same method lookup as relayed requests.

import { timingSafeEqual } from 'node:crypto'
import { rmSync } from 'node:fs'
import { createServer, type Server, type Socket } from 'node:net'
import { serializeError, svcError } from '../errors.js'
import { FramePort } from '../port/frame-port.js'
import { isTooLarge, tooLargeFor } from '../port/message-size.js'
import { directToken } from '../protocol/direct-token.js'
import { isDirectRequest, MAX_DIRECT_FRAME_BYTES, type DirectCallerMessage, type OutgoingRequestMessage, type ResponseMessage } from '../protocol/messages.js'

export type Invoke = (from: string, method: string, args: unknown[], trace?: string) => Promise<unknown>

type TargetPort = FramePort<DirectCallerMessage, ResponseMessage>

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
    const port: TargetPort = new FramePort(socket, { rawBodies: false, maxFrameBytes: MAX_DIRECT_FRAME_BYTES })
    let caller: string | null = null
    port.on('message', (message) => {
      if (caller === null) {
        caller = admitted(message, key)
        if (caller === null) port.close() // no valid token: not one call is served
        return
      }
      if (!isDirectRequest(message)) return port.close()
      void serve(port, self, caller, message, invoke)
    })
  }
}

function admitted(message: DirectCallerMessage, key: string): string | null {
  if (message.type !== 'directHello' || typeof message.caller !== 'string' || typeof message.token !== 'string') return null
  const expected = Buffer.from(directToken(key, message.caller))
  const given = Buffer.from(message.token)
  return expected.length === given.length && timingSafeEqual(expected, given) ? message.caller : null
}

async function serve(port: TargetPort, self: string, caller: string, call: OutgoingRequestMessage, invoke: Invoke): Promise<void> {
  let result: ResponseMessage
  try {
    result = { type: 'response', id: call.id, ok: true, value: await invoke(caller, call.method, call.args, call.trace) }
  } catch (error) {
    result = { type: 'response', id: call.id, ok: false, error: serializeError(error) }
  }
  try {
    port.send(result) // false when the caller has gone: nobody is left to answer
  } catch (cause) {
    const error = isTooLarge(cause)
      ? tooLargeFor(self, `the result of ${call.method} (on a direct channel)`, cause)
      : svcError('SVC_ERR_NOT_SERIALIZABLE', `Service "${self}": the result of ${call.method} cannot be sent (${(cause as Error).message}). Return JSON-serialisable values.`, { service: self })
    port.send({ type: 'response', id: call.id, ok: false, error: serializeError(error) })
  }
}
