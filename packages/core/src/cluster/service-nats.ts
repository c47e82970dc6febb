// A service process's own NATS connection (manifest `nats`: a NATS user of the service's own), for calls across
// hosts that skip both managers. Each instance of a `direct: true` service serves
//   svc.<cluster>.direct.<service>.<host>-<index>.<calling service>
// (in a queue group: a reload's replacement serves it beside the instance it replaces); a caller sends there once its
// manager granted it that instance (manager-methods.ts: the access rule is checked there first), and spreads its
// calls over the instances it was granted (remote/nats-channel.ts). Who is calling is the subject's last token, which
// the caller's NATS permissions pin to its own name — not a field it could fill in — and the serving side checks it
// against the services the manifest lets call it, on every call. Replies come to the caller's own inbox prefix, so
// its user may subscribe to its own replies only. Loaded only by services that have a NATS user.

import type { Msg, NatsConnection, Subscription } from 'nats'
import { restoreError, serializeError, svcError, type SerializedError } from '../errors.js'
import { argsTooLarge, requestFailed, resultTooLarge } from './nats-call-errors.js'
import { connectNats } from './nats-buckets.js'
import { directSubject, serviceInbox } from './subjects.js'

export interface ServiceNatsStart {
  url: string
  cluster: string
  callers: string[]
  /** Which instance this process is, where (a service that only calls has none). */
  host?: string
  index?: number
}

/** Invokes one of this service's methods for a caller (traced as any call it serves). */
export type Invoke = (from: string, method: string, args: unknown[], trace: string | undefined) => Promise<unknown>

/** How long a start waits for NATS; past it the service runs anyway, and its calls are relayed. */
const CONNECT_MS = 2000
/** How long a closing instance waits for NATS to confirm its subscription is gone. */
const DRAIN_MS = 1000

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref())

export class ServiceNats {
  #serving: Subscription | null = null
  #inFlight = 0
  #idle: (() => void) | null = null

  private constructor(
    private readonly nc: NatsConnection,
    private readonly self: string,
    private readonly start: ServiceNatsStart,
  ) {}

  static async connect(self: string, start: ServiceNatsStart): Promise<ServiceNats> {
    const nc = await connectNats(start.url, `svc service ${self}`, null, { inboxPrefix: serviceInbox(start.cluster, self), timeout: CONNECT_MS })
    return new ServiceNats(nc, self, start)
  }

  /** Serves this service's subject; resolves once NATS has the subscription (a grant made after that finds it). */
  async serve(invoke: Invoke): Promise<void> {
    const { cluster, host = '', index = 0 } = this.start
    const prefix = directSubject(cluster, this.self, { host, index }, '')
    const callers = new Set(this.start.callers)
    this.#serving = this.nc.subscribe(`${prefix}*`, {
      queue: prefix.slice(0, -1),
      callback: (error, msg) => {
        if (error || !msg.reply) return
        const from = msg.subject.slice(prefix.length).replaceAll('~', '.')
        let method = '?'
        this.#inFlight++
        Promise.resolve()
          .then(() => {
            if (!callers.has(from)) {
              throw svcError('SVC_ERR_ACCESS_DENIED', `Service "${from}" may not call "${this.self}": it is not in its dependsOn (or permissions.calls).`, { service: from, details: { target: this.self } })
            }
            const call = this.#parse(from, msg.data)
            method = call.method
            return invoke(from, call.method, call.args, call.trace)
          })
          .then(
            (value) => this.#reply(msg, method, { ok: true, value }),
            (error) => this.#reply(msg, method, { ok: false, error: serializeError(error) }),
          )
          .finally(() => {
            if (--this.#inFlight === 0) this.#idle?.()
          })
      },
    })
    await this.nc.flush()
  }

  // A call is { method, args, trace? } as JSON; anything else (a caller's own code can publish on its subject) is
  // answered with a coded refusal, and the service carries on.
  #parse(from: string, data: Uint8Array): { method: string; args: unknown[]; trace: string | undefined } {
    let call: { method?: unknown; args?: unknown; trace?: unknown } = {}
    try {
      call = Object(JSON.parse(new TextDecoder().decode(data))) as typeof call
    } catch {}
    if (typeof call.method !== 'string' || !Array.isArray(call.args) || (call.trace !== undefined && typeof call.trace !== 'string')) {
      throw svcError('SVC_ERR_PROTOCOL', `A call from "${from}" to "${this.self}" over NATS is not { method, args } as JSON; it was not run.`, { service: this.self, details: { caller: from } })
    }
    return { method: call.method, args: call.args, trace: call.trace as string | undefined }
  }

  #reply(msg: Msg, method: string, answer: object): void {
    let bytes: Uint8Array
    try {
      bytes = new TextEncoder().encode(JSON.stringify(answer))
    } catch (cause) {
      const error = svcError('SVC_ERR_NOT_SERIALIZABLE', `Service "${this.self}": a result cannot be sent (${(cause as Error).message}). Return JSON-serialisable values.`, { service: this.self })
      bytes = new TextEncoder().encode(JSON.stringify({ ok: false, error: serializeError(error) }))
    }
    const limit = this.nc.info?.max_payload ?? Infinity
    if (bytes.length > limit) bytes = new TextEncoder().encode(JSON.stringify({ ok: false, error: serializeError(resultTooLarge(`${this.self}.${method}`, this.self, bytes.length, limit)) }))
    // The connection closing under the answer is the caller's timeout, never this service's crash.
    try {
      msg.respond(bytes)
    } catch {}
  }

  /** Calls `to` on the subject its manager granted: its answer, or null when NATS knows no process serving the
   * subject (the call was not delivered, so the caller relays it instead). */
  async request(subject: string, to: string, method: string, args: unknown[], timeoutMs: number, trace: string | undefined): Promise<{ value: unknown } | null> {
    const what = `${to}.${method}`
    let body: Uint8Array
    try {
      body = new TextEncoder().encode(JSON.stringify(trace ? { method, args, trace } : { method, args }))
    } catch (cause) {
      throw svcError('SVC_ERR_NOT_SERIALIZABLE', `Service "${this.self}" called ${what} with arguments that cannot be sent (${(cause as Error).message}). Pass JSON-serialisable values.`, { service: this.self, cause })
    }
    const limit = this.nc.info?.max_payload ?? Infinity
    if (body.length > limit) throw argsTooLarge(what, this.self, body.length, limit)
    let reply
    try {
      reply = await this.nc.request(subject, body, { timeout: timeoutMs })
    } catch (error) {
      if ((error as { code?: string }).code === '503') return null
      const denied = `NATS refused "${this.self}" the subject of ${what}: its NATS user (manifest nats) may not call as this service. Check its permissions (docs/cluster.md).`
      throw requestFailed(error, { from: this.self, to, method, timeoutMs }, denied, { direct: true })
    }
    const answer = JSON.parse(new TextDecoder().decode(reply.data)) as { ok: boolean; value?: unknown; error?: SerializedError }
    if (!answer.ok) throw restoreError(answer.error!)
    return { value: answer.value }
  }

  /** Stops taking calls (other hosts' instances take them) and waits until those it took are answered. A drain,
   * not an unsubscribe: a call NATS routed here before it saw the unsubscribe is still taken, not dropped. */
  async drain(): Promise<void> {
    const serving = this.#serving
    this.#serving = null
    // Bounded: with NATS away, a drain would wait for it to come back (the service's stop timeout would end it).
    await Promise.race([serving?.drain().catch(() => undefined), delay(DRAIN_MS)])
    if (this.#inFlight > 0) await new Promise<void>((resolve) => (this.#idle = resolve))
  }

  async close(): Promise<void> {
    await this.nc.close().catch(() => undefined)
  }
}
