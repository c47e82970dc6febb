// Calls this service makes: correlation ids, timeouts, and errors restored as real Errors.

import { restoreError, svcError } from '../errors.js'
import { isTooLarge, tooLargeFor } from '../port/message-size.js'
import type { RemoteMessage, ResponseMessage } from '../protocol/messages.js'
import { outgoingTrace } from './tracing.js'

interface Pending {
  resolve(value: unknown): void
  reject(error: Error): void
  timer: NodeJS.Timeout
}

export const DEFAULT_CALL_TIMEOUT_MS = 30_000

export class OutgoingCalls {
  readonly #pending = new Map<number, Pending>()
  #nextId = 1

  constructor(
    private readonly self: string,
    private readonly send: (message: RemoteMessage) => boolean,
  ) {}

  call(to: string, method: string, args: unknown[], timeoutMs = DEFAULT_CALL_TIMEOUT_MS): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const id = this.#nextId++
      let sent: boolean
      try {
        const trace = outgoingTrace()
        sent = this.send(trace ? { type: 'request', id, to, method, args, trace } : { type: 'request', id, to, method, args })
      } catch (cause) {
        if (isTooLarge(cause)) return reject(tooLargeFor(this.self, `the arguments of ${to}.${method}`, cause))
        reject(
          svcError(
            'SVC_ERR_NOT_SERIALIZABLE',
            `Service "${this.self}" called ${to}.${method} with arguments that cannot be sent (${(cause as Error).message}). Pass JSON-serialisable values.`,
            { service: this.self, cause },
          ),
        )
        return
      }
      if (!sent) {
        reject(svcError('SVC_ERR_SERVICE_CLOSED', `Service "${this.self}" has lost its channel to the manager; ${to}.${method} was not sent.`, { service: this.self }))
        return
      }
      const timer = setTimeout(() => {
        this.#pending.delete(id)
        this.send({ type: 'cancel', id })
        reject(
          svcError('SVC_ERR_CALL_TIMEOUT', `Call from "${this.self}" to ${to}.${method} got no answer within ${timeoutMs} ms. Is "${to}" stuck, or does the call need a longer timeoutMs?`, {
            service: to,
            details: { caller: this.self, method, timeoutMs },
          }),
        )
      }, timeoutMs)
      this.#pending.set(id, { resolve, reject, timer })
    })
  }

  settle(message: ResponseMessage): void {
    const pending = this.#pending.get(message.id)
    if (!pending) return // answered after its timeout
    this.#pending.delete(message.id)
    clearTimeout(pending.timer)
    if (message.ok) pending.resolve(message.value)
    else pending.reject(restoreError(message.error))
  }

  /** Rejects everything still waiting: the channel is gone. */
  failAll(reason: string): void {
    for (const [id, pending] of this.#pending) {
      clearTimeout(pending.timer)
      pending.reject(svcError('SVC_ERR_SERVICE_CLOSED', `Service "${this.self}" is closing (${reason}); the call was abandoned.`, { service: this.self }))
      this.#pending.delete(id)
    }
  }
}
