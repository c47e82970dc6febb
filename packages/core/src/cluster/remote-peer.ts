// An instance running on another host, as the router sees it: a request sent to it goes out over NATS
// (cluster/nats-calls.ts) and its answer comes back to the router as a response from this peer, exactly as a local
// instance's answer comes from its controller. So balancing, in-flight counts, draining and failing the calls of an
// instance that goes away work the same whether it runs here or elsewhere.

import { IdleWaiters } from '../controller/idle-waiters.js'
import { serializeError } from '../errors.js'
import type { HostMessage, ResponseMessage } from '../protocol/messages.js'
import { RawBody } from '../protocol/raw-body.js'
import type { Body } from './nats-calls.js'

/** Sends one call across hosts: who makes it, the method, its arguments (still bytes when relayed), its trace. */
export type SendAcross = (from: string, method: string, args: unknown, trace: string | undefined) => Promise<Body>

export class RemotePeer {
  inFlight = 0
  connected = true
  /** Nothing waits here: NATS holds what is on its way (and refuses what is too large). */
  readonly queuedBytes = 0
  readonly #idle = new IdleWaiters()

  constructor(
    private readonly across: SendAcross,
    private readonly answered: (peer: RemotePeer, message: ResponseMessage) => void,
  ) {}

  /** The router's request goes across; whatever else the manager would tell a process (close, events) is not this
   * host's to say: the instance's own host does. */
  send(message: HostMessage): boolean {
    if (message.type !== 'request' || !this.connected) return this.connected
    const { id } = message
    this.across(message.from, message.method, message.args, message.trace).then(
      (body) => this.answered(this, { type: 'response', id, ok: true, value: valueOf(body) }),
      (error: unknown) => this.answered(this, { type: 'response', id, ok: false, error: serializeError(error) }),
    )
    return true
  }

  /** The instance is gone from this host's view: answers still on their way are not taken any more. */
  disconnect(): void {
    this.connected = false
  }

  callStarted(): void {
    this.inFlight++
  }

  callEnded(): void {
    if (--this.inFlight === 0) this.#idle.wake()
  }

  whenIdle(timeoutMs: number): Promise<void> {
    return this.inFlight === 0 ? Promise.resolve() : this.#idle.wait(timeoutMs)
  }
}

/** A body to send: the bytes it came in when relayed, else JSON; `undefined` (a method that returns nothing) as none. */
export function bodyOf(value: unknown): Body {
  if (value instanceof RawBody) return { bytes: value.bytes, codec: value.codec }
  return { bytes: value === undefined ? new Uint8Array(0) : Buffer.from(JSON.stringify(value)), codec: 'json' }
}

/** What a body that crossed is, as the router passes it on: still bytes (decoded only where a value is needed). */
export function valueOf(body: Body): unknown {
  if (body.bytes.length === 0) return undefined
  return new RawBody(Buffer.from(body.bytes.buffer, body.bytes.byteOffset, body.bytes.length), body.codec)
}
