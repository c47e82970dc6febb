// The target side of direct calls: a Unix socket that admits callers holding a token from the manager, and
// serves their calls with the same method lookup as relayed requests.

import { timingSafeEqual } from 'node:crypto'
import { rmSync } from 'node:fs'
import { createServer, type Server, type Socket } from 'node:net'
import { serializeError, svcError } from '../errors.js'
import { FramePort } from '../port/frame-port.js'
import { isTooLarge, tooLargeFor } from '../port/message-size.js'
import { directToken } from '../protocol/direct-token.js'
import { isDirectRequest, MAX_DIRECT_FRAME_BYTES, type DirectCallerMessage, type DirectTargetMessage, type OutgoingRequestMessage, type ResponseMessage } from '../protocol/messages.js'

export type Invoke = (from: string, method: string, args: unknown[], trace?: string) => Promise<unknown>

type TargetPort = FramePort<DirectCallerMessage, DirectTargetMessage>

const DRAIN_LIMIT_MS = 5000
/** How long the last answers may take to reach callers once the connections are ended. */
const FLUSH_LIMIT_MS = 1000

/** One admitted caller: the calls it has in flight here, and whether it acknowledged a goaway. */
interface Link {
  port: TargetPort
  admitted: boolean
  inFlight: number
  acked: boolean
}

export class DirectServer {
  readonly #sockets = new Set<Socket>()
  readonly #links = new Set<Link>()
  #draining: { done(): void } | null = null

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

  /**
   * The graceful end: stops accepting, tells every caller to send nothing more (goaway), and resolves once each has
   * acknowledged (or gone) and every call it sent is answered — so a caller loses no call to a closing instance: it
   * sends its next ones elsewhere (another instance, or relayed). Bounded by the manager's stop escalation.
   */
  drain(): Promise<void> {
    this.server.close()
    return new Promise((resolve) => {
      // A caller that never acknowledges (stuck, or hostile) holds the close up no longer than the manager's default
      // grace before its SIGTERM would.
      const timer = setTimeout(resolve, DRAIN_LIMIT_MS)
      this.#draining = {
        done: () => {
          clearTimeout(timer)
          resolve()
        },
      }
      // Those still to say hello hear it once they have (a goaway before the hello would be read as an answer).
      for (const link of this.#links) if (link.admitted) link.port.send({ type: 'goaway' })
      this.#check()
    })
  }

  #check(): void {
    if (!this.#draining) return
    for (const link of this.#links) if (!link.acked || link.inFlight > 0) return
    this.#draining.done()
  }

  /** Stops accepting and ends every connection: what is written reaches the caller first (after a drain, the last
   * answers), within a moment; then what is left is cut, and a caller's calls still pending fail as if the service
   * had closed. */
  async close(): Promise<void> {
    this.server.close()
    for (const link of this.#links) link.port.flush() // answers are batched until the end of the tick: out with them first
    const closed = [...this.#sockets].map((socket) => new Promise<void>((resolve) => {
      socket.once('close', () => resolve())
      socket.end()
    }))
    const timer = setTimeout(() => {
      for (const socket of this.#sockets) socket.destroy()
    }, FLUSH_LIMIT_MS)
    await Promise.all(closed)
    clearTimeout(timer)
    rmSync(this.path, { force: true })
  }

  #admit(socket: Socket, key: string, self: string, invoke: Invoke): void {
    this.#sockets.add(socket)
    socket.on('close', () => this.#sockets.delete(socket))
    const port: TargetPort = new FramePort(socket, { rawBodies: false, maxFrameBytes: MAX_DIRECT_FRAME_BYTES })
    let caller: string | null = null
    // Counted from the connection on, not from its hello: a caller that connected just before the drain began will
    // send calls, and must hear goaway and be waited for like the others.
    const link: Link = { port, admitted: false, inFlight: 0, acked: false }
    this.#links.add(link)
    socket.on('close', () => {
      this.#links.delete(link)
      this.#check()
    })
    port.on('message', (message) => {
      if (caller === null) {
        caller = admitted(message, key)
        if (caller === null) return port.close() // no valid token: not one call is served
        link.admitted = true
        if (this.#draining) port.send({ type: 'goaway' }) // it said hello as the drain began
        return
      }
      if (message.type === 'goawayAck') {
        link.acked = true
        return this.#check()
      }
      if (!isDirectRequest(message)) return port.close()
      link.inFlight++
      void serve(port, self, caller, message, invoke).finally(() => {
        link.inFlight--
        this.#check()
      })
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
