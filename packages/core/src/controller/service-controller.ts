// The host side of one container: the handshake, sending the code, watching the remote's state and the
// channel, and asking it to close. It forwards service traffic to the manager without reading it.

import { EventEmitter } from 'eventemitter3'
import { debuglog } from 'node:util'
import { errorLocation, restoreError, serializeError, svcError, type SerializedError } from '../errors.js'
import type { ConnectionPort } from '../port/connection-port.js'
import {
  PROTOCOL_VERSION,
  assertNever,
  isRemoteMessage,
  type CancelMessage,
  type EmitMessage,
  type ExceptionMessage,
  type HostMessage,
  type OutgoingRequestMessage,
  type RemoteMessage,
  type ResponseMessage,
  type StartMessage,
  type SubscribeMessage,
} from '../protocol/messages.js'
import type { ServiceState } from '../protocol/snapshot.js'
import { IdleWaiters } from './idle-waiters.js'

const trace = debuglog('svc:controller')

export interface ControllerEvents {
  state: [state: ServiceState, error: SerializedError | undefined]
  request: [message: OutgoingRequestMessage]
  response: [message: ResponseMessage]
  cancel: [message: CancelMessage]
  emit: [message: EmitMessage]
  subscribe: [message: SubscribeMessage]
  exception: [message: ExceptionMessage]
  malformed: [value: unknown]
  /** The service wrote bytes that are not frames (or stopped halfway through one): its channel is closed, so it exits. */
  protocolError: [error: SerializedError]
  /** The channel closed. Expected after a close; a crash otherwise. */
  lost: []
}

export class ServiceController extends EventEmitter<ControllerEvents> {
  pid: number | null = null
  /** The socket the service serves direct calls on, as it reported when it started running. */
  directPath: string | null = null
  readonly remoteReady: Promise<void>
  /** Calls the router sent here and has not had answered (or given up on): what least-in-flight balancing compares. */
  inFlight = 0
  readonly #idle = new IdleWaiters()
  #ready!: { resolve(): void; reject(error: Error): void }
  #lost = false
  #waiters = new Set<{ onState(state: ServiceState, error?: SerializedError): void; onLost(): void }>()

  constructor(
    readonly name: string,
    private readonly port: ConnectionPort<RemoteMessage, HostMessage>,
  ) {
    super()
    this.remoteReady = new Promise<void>((resolve, reject) => {
      this.#ready = { resolve, reject }
    })
    this.remoteReady.catch(() => {}) // observed by start(); never an unhandled rejection
    port.on('message', (m) => this.#onMessage(m))
    port.on('close', () => this.#onClose())
  }

  get connected(): boolean {
    return !this.#lost
  }

  send(message: HostMessage): boolean {
    return this.port.send(message)
  }

  /** The router sent a call here. */
  callStarted(): void {
    this.inFlight++
  }

  /** A call sent here was answered, cancelled or failed. */
  callEnded(): void {
    if (--this.inFlight === 0) this.#idle.wake()
  }

  /** Resolves once no call sent here is in flight, or after `timeoutMs`, whichever comes first. */
  whenIdle(timeoutMs: number): Promise<void> {
    return this.inFlight === 0 ? Promise.resolve() : this.#idle.wait(timeoutMs)
  }

  /** Bytes sent to the service that it has not read yet (that the kernel has not taken off our hands). */
  get queuedBytes(): number {
    return this.port.queuedBytes
  }

  /** Sends the code once the remote is ready; resolves when the service runs. Fails fast if the remote dies. */
  async start(message: Omit<StartMessage, 'type'>, timeoutMs: number): Promise<void> {
    await this.remoteReady
    const running = new Promise<void>((resolve, reject) => {
      const waiter = {
        onState: (state: ServiceState, error?: SerializedError) => {
          if (state === 'running') done(resolve)
          else if (state === 'closed' || state === 'closing') {
            done(() => reject(error ? startError(this.name, message.entry, error) : this.#exitedEarly('while starting')))
          }
        },
        onLost: () => done(() => reject(this.#exitedEarly('while starting'))),
      }
      const timer = setTimeout(
        () =>
          done(() =>
            reject(
              svcError(
                'SVC_ERR_START_TIMEOUT',
                `Service "${this.name}" did not report running within ${timeoutMs} ms. Is its factory awaiting something that never resolves? (startTimeoutMs raises the limit.)`,
                { service: this.name, details: { timeoutMs } },
              ),
            ),
          ),
        timeoutMs,
      )
      const done = (settle: () => void) => {
        clearTimeout(timer)
        this.#waiters.delete(waiter)
        settle()
      }
      this.#waiters.add(waiter)
    })
    this.port.send({ type: 'start', ...message })
    return running
  }

  requestClose(reason: string): boolean {
    return this.port.send({ type: 'close', reason })
  }

  /** Closes the channel from this side: the remote notices and exits. */
  disconnect(): void {
    this.port.close()
  }

  #onMessage(message: RemoteMessage): void {
    if (!isRemoteMessage(message)) {
      trace('%s sent a malformed message: %o', this.name, message)
      this.emit('malformed', message)
      return
    }
    switch (message.type) {
      case 'remoteReady':
        if (message.protocol !== PROTOCOL_VERSION) {
          this.#ready.reject(
            svcError(
              'SVC_ERR_PROTOCOL_MISMATCH',
              `Service "${this.name}" speaks protocol ${message.protocol}, the manager ${PROTOCOL_VERSION}. Rebuild so both come from the same @services-cluster/core.`,
              { service: this.name },
            ),
          )
          return
        }
        this.pid = message.pid
        this.#ready.resolve()
        return
      case 'state':
        trace('%s → %s', this.name, message.state)
        if (message.state === 'running') this.directPath = message.direct ?? null
        for (const w of [...this.#waiters]) w.onState(message.state, message.error)
        this.emit('state', message.state, message.error)
        return
      case 'request':
        this.emit('request', message)
        return
      case 'response':
        this.emit('response', message)
        return
      case 'cancel':
        this.emit('cancel', message)
        return
      case 'emit':
        this.emit('emit', message)
        return
      case 'subscribe':
      case 'unsubscribe':
        this.emit('subscribe', message)
        return
      case 'exception':
        this.emit('exception', message)
        return
      default:
        assertNever(message)
    }
  }

  #onClose(): void {
    if (this.#lost) return
    this.#lost = true
    const violation = this.port.violation
    if (violation !== null) {
      trace('%s broke the protocol: %s', this.name, violation)
      const error = svcError(
        'SVC_ERR_PROTOCOL',
        `Service "${this.name}" broke the channel protocol: ${violation}. The manager closed its channel, so it exits. Does its code write to fd 3? Only the framework may.`,
        { service: this.name, details: { violation } },
      )
      this.emit('protocolError', serializeError(error))
    }
    this.#ready.reject(this.#exitedEarly('before it reported ready'))
    for (const w of [...this.#waiters]) w.onLost()
    this.#waiters.clear()
    this.emit('lost')
  }

  #exitedEarly(when: string): Error {
    return svcError('SVC_ERR_EXITED_DURING_START', `Service "${this.name}" exited ${when}. Its output and exit code say why.`, {
      service: this.name,
    })
  }
}

// The remote stack goes in `details` too: `cause` does not cross the control socket, details do.
function startError(name: string, entry: string, error: SerializedError): Error {
  const cause = restoreError(error)
  const location = errorLocation(error.stack, entry)
  return svcError('SVC_ERR_START_FAILED', `Service "${name}" failed to start: ${error.message}`, {
    service: name,
    cause,
    details: { causeCode: error.code, ...(location ? { location } : {}), ...(error.stack ? { stack: error.stack } : {}) },
  })
}
