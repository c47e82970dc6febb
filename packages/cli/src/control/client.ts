// A client of the control socket. The CLI uses it for everything; other tools (a dashboard) can too.

import type { LogLine, SerializedError, StateChange } from '@services-cluster/core'
import { EventEmitter } from 'node:events'
import { connect, type Socket } from 'node:net'
import { cliError, CliError, shortPath } from '../errors.js'
import { onLines, sendLine } from './lines.js'
import {
  CONTROL_PROTOCOL_VERSION,
  type ServiceUpdate,
  type UsagePoint,
  isNotification,
  isResponse,
  type ManagerInfo,
  type MethodName,
  type ParamsOf,
  type ResultOf,
  type RpcRequest,
} from './protocol.js'

type ClientEvents = {
  log: [line: LogLine]
  state: [change: StateChange]
  service: [update: ServiceUpdate]
  usage: [sample: UsagePoint]
  closing: [info: { reason: string }]
  /** The connection ended (the manager went away, or close() was called). */
  close: []
}

interface Pending {
  resolve(value: unknown): void
  reject(error: Error): void
  timer: NodeJS.Timeout | undefined
}

/** A remote failure: the framework error from the manager (its code, e.g. SVC_ERR_UNKNOWN_METHOD). */
export class RemoteError extends CliError {
  readonly remote: SerializedError | undefined
  readonly rpcCode: number

  constructor(rpcCode: number, message: string, remote: SerializedError | undefined) {
    // A failed start says where it failed (`svc logs` has its stack).
    const location = typeof remote?.details?.location === 'string' ? shortPath(remote.details.location) : undefined
    super('SVC_ERR_CLI_REMOTE', message, { causeCode: remote?.code, service: remote?.service, location })
    this.rpcCode = rpcCode
    this.remote = remote
  }
}

export class ControlClient extends EventEmitter<ClientEvents> {
  readonly #socket: Socket
  readonly #pending = new Map<number, Pending>()
  #nextId = 1
  #closed = false
  info!: ManagerInfo

  private constructor(socket: Socket) {
    super()
    this.#socket = socket
    onLines(socket, (line) => this.#receive(line))
    socket.on('error', () => {}) // 'close' follows and fails what is pending
    socket.on('close', () => {
      this.#closed = true
      for (const p of this.#pending.values()) {
        clearTimeout(p.timer)
        p.reject(cliError('SVC_ERR_CLI_CONNECTION_LOST', 'The manager closed the connection before answering.', { hint: 'Check it with `svc ps`.' }))
      }
      this.#pending.clear()
      this.emit('close')
    })
  }

  /** Connects and shakes hands; a missing socket or one nobody listens on is SVC_ERR_CLI_NOT_RUNNING. */
  static async connect(socketPath: string, options: { timeoutMs?: number } = {}): Promise<ControlClient> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect(socketPath)
      s.once('connect', () => {
        s.off('error', reject)
        resolve(s)
      })
      s.once('error', (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT' || error.code === 'ECONNREFUSED') {
          reject(cliError('SVC_ERR_CLI_NOT_RUNNING', `No manager listens on ${socketPath}.`, { cause: error, hint: 'Start one with `svc up`.' }))
        } else reject(error)
      })
    })
    const client = new ControlClient(socket)
    try {
      client.info = await client.request('hello', { protocol: CONTROL_PROTOCOL_VERSION }, { timeoutMs: options.timeoutMs ?? 5_000 })
    } catch (error) {
      client.close()
      throw error
    }
    return client
  }

  get closed(): boolean {
    return this.#closed
  }

  request<M extends MethodName>(method: M, params: ParamsOf<M>, options: { timeoutMs?: number } = {}): Promise<ResultOf<M>> {
    if (this.#closed) return Promise.reject(cliError('SVC_ERR_CLI_CONNECTION_LOST', 'The connection to the manager is closed.'))
    const id = this.#nextId++
    return new Promise((resolve, reject) => {
      const timer = options.timeoutMs
        ? setTimeout(() => {
            this.#pending.delete(id)
            reject(cliError('SVC_ERR_CLI_REQUEST_TIMEOUT', `The manager did not answer "${method}" within ${options.timeoutMs} ms.`, { hint: 'Is it busy or stuck? Check the daemon log in the state directory.' }))
          }, options.timeoutMs)
        : undefined
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer })
      sendLine(this.#socket, { jsonrpc: '2.0', id, method, params } satisfies RpcRequest)
    })
  }

  close(): void {
    this.#socket.end()
    this.#socket.destroy()
  }

  #receive(line: string): void {
    let message: unknown
    try {
      message = JSON.parse(line)
    } catch {
      return // not ours to repair; the request it answered will time out or fail on close
    }
    if (isResponse(message)) {
      const pending = typeof message.id === 'number' ? this.#pending.get(message.id) : undefined
      if (!pending) return
      this.#pending.delete(message.id as number)
      clearTimeout(pending.timer)
      if ('error' in message) pending.reject(new RemoteError(message.error.code, message.error.message, message.error.data))
      else pending.resolve(message.result)
      return
    }
    if (!isNotification(message)) return
    switch (message.method) {
      case 'log':
        this.emit('log', message.params as LogLine)
        break
      case 'state':
        this.emit('state', message.params as StateChange)
        break
      case 'service':
        this.emit('service', message.params as ServiceUpdate)
        break
      case 'usage':
        this.emit('usage', message.params as UsagePoint)
        break
      case 'closing':
        this.emit('closing', message.params as { reason: string })
        break
      default: {
        const unknown: never = message.method
        void unknown // a newer manager's notification: ignore
      }
    }
  }
}
