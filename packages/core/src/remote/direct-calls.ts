// The caller side of direct calls. Per target: ask the manager once for a grant, connect, and from then on send
// that target's calls over the socket. Until the channel is open — or whenever the target is not `direct`, not
// running, or the socket closes — calls are relayed by the manager as usual, so nothing waits on the set-up.

import { connect } from 'node:net'
import { restoreError, svcError } from '../errors.js'
import { FramePort } from '../port/frame-port.js'
import { isTooLarge, tooLargeFor } from '../port/message-size.js'
import { MAX_DIRECT_FRAME_BYTES, type DirectCallerMessage, type DirectGrant, type ResponseMessage } from '../protocol/messages.js'
import { outgoingTrace } from './tracing.js'

interface Pending {
  resolve(value: unknown): void
  reject(error: Error): void
  timer: NodeJS.Timeout
  method: string
}

/** After "not now" (the target is not running or not listening), ask again only after this long. */
const RETRY_AFTER_MS = 1000

type Channel =
  | { state: 'opening' }
  | { state: 'open'; port: FramePort<ResponseMessage, DirectCallerMessage>; pending: Map<number, Pending> }
  | { state: 'relay'; until: number }

export class DirectCalls {
  readonly #channels = new Map<string, Channel>()
  #nextId = 1
  #closed = false

  constructor(
    private readonly self: string,
    /** Asks the manager (relayed) for a grant to `target`; null when there is none. */
    private readonly grant: (target: string) => Promise<DirectGrant | null>,
  ) {}

  /** Sends the call directly if a channel to `to` is open; otherwise returns null (relay it) and opens one. */
  call(to: string, method: string, args: unknown[], timeoutMs: number): Promise<unknown> | null {
    const channel = this.#channels.get(to)
    if (channel?.state === 'open') return this.#send(to, channel, method, args, timeoutMs)
    if (!this.#closed && (!channel || (channel.state === 'relay' && Date.now() >= channel.until))) void this.#open(to)
    return null
  }

  /** The service is closing: no new channels, every open one is cut (pending calls fail). */
  close(reason: string): void {
    this.#closed = true
    for (const [to, channel] of this.#channels) if (channel.state === 'open') this.#drop(to, channel, `"${this.self}" is closing (${reason})`)
  }

  async #open(to: string): Promise<void> {
    this.#channels.set(to, { state: 'opening' })
    const relay = (forMs = RETRY_AFTER_MS) => this.#channels.set(to, { state: 'relay', until: Date.now() + forMs })
    let grant: DirectGrant | null
    try {
      grant = await this.grant(to)
    } catch {
      return void relay() // not running or not listening now: ask again later
    }
    if (!grant) return void relay(Infinity) // the target does not serve direct calls at all
    if (this.#closed) return void relay()
    const socket = connect(grant.path)
    socket.once('error', () => {}) // 'close' follows and handles it
    await new Promise<void>((resolve) => {
      socket.once('connect', resolve)
      socket.once('close', resolve)
    })
    if (socket.destroyed || this.#closed) {
      socket.destroy()
      return void relay()
    }
    const port = new FramePort<ResponseMessage, DirectCallerMessage>(socket, { rawBodies: false, maxFrameBytes: MAX_DIRECT_FRAME_BYTES })
    port.send({ type: 'directHello', caller: this.self, token: grant.token })
    const channel: Extract<Channel, { state: 'open' }> = { state: 'open', port, pending: new Map() }
    port.on('message', (message) => this.#settle(channel, message))
    port.on('close', () => this.#drop(to, channel, `"${to}" closed the direct channel`))
    this.#channels.set(to, channel)
  }

  #send(to: string, channel: Extract<Channel, { state: 'open' }>, method: string, args: unknown[], timeoutMs: number): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const id = this.#nextId++
      let sent: boolean
      try {
        const trace = outgoingTrace()
        sent = channel.port.send(trace ? { type: 'request', id, to, method, args, trace } : { type: 'request', id, to, method, args })
      } catch (cause) {
        if (isTooLarge(cause)) return reject(tooLargeFor(this.self, `the arguments of ${to}.${method} (on its direct channel)`, cause))
        reject(
          svcError('SVC_ERR_NOT_SERIALIZABLE', `Service "${this.self}" called ${to}.${method} with arguments that cannot be sent (${(cause as Error).message}). Pass JSON-serialisable values.`, {
            service: this.self,
            cause,
          }),
        )
        return
      }
      if (!sent) return reject(closedError(to, method, 'its direct channel closed'))
      const timer = setTimeout(() => {
        channel.pending.delete(id)
        reject(
          svcError('SVC_ERR_CALL_TIMEOUT', `Call from "${this.self}" to ${to}.${method} got no answer within ${timeoutMs} ms. Is "${to}" stuck, or does the call need a longer timeoutMs?`, {
            service: to,
            details: { caller: this.self, method, timeoutMs, direct: true },
          }),
        )
      }, timeoutMs)
      channel.pending.set(id, { resolve, reject, timer, method })
    })
  }

  #settle(channel: Extract<Channel, { state: 'open' }>, message: ResponseMessage): void {
    const pending = message.type === 'response' ? channel.pending.get(message.id) : undefined
    if (!pending) return // answered after its timeout, or junk
    channel.pending.delete(message.id)
    clearTimeout(pending.timer)
    if (message.ok) pending.resolve(message.value)
    else pending.reject(restoreError(message.error))
  }

  #drop(to: string, channel: Extract<Channel, { state: 'open' }>, why: string): void {
    if (this.#channels.get(to) === channel) this.#channels.delete(to)
    for (const [id, pending] of channel.pending) {
      clearTimeout(pending.timer)
      pending.reject(closedError(to, pending.method, why))
      channel.pending.delete(id)
    }
    channel.port.close() // its 'close' comes back here, with nothing left to fail
  }
}

// Same error as a relayed call whose target stopped: callers handle one code, whichever path a call took.
function closedError(to: string, method: string, why: string): Error {
  return svcError('SVC_ERR_SERVICE_CLOSED', `Service "${to}" closed before answering ${method} (${why}). Retry once it runs again.`, {
    service: to,
    details: { method, direct: true },
  })
}
