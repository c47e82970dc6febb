// Routes requests between services (and from outside) with fresh correlation ids. The caller's identity is
// the channel its request arrived on, never a field of the payload. Arguments and results between services pass
// through as the bytes they arrived in (RawBody); only calls to or from the manager itself are decoded.

import { restoreError, serializeError, svcError, type SerializedError } from '../errors.js'
import type { ServiceController } from '../controller/service-controller.js'
import { MANAGER_TARGET, type OutgoingRequestMessage, type ResponseMessage } from '../protocol/messages.js'
import { materialize, type RawBody } from '../protocol/raw-body.js'
import { isTooLarge, tooLargeFor, wholeMiB } from '../port/message-size.js'
import type { CallMeters } from './call-meters.js'

/** Where a call can be sent: a local instance's controller, or an instance on another host (cluster/remote-peer.ts). */
export type CallTarget = Pick<ServiceController, 'inFlight' | 'connected' | 'queuedBytes' | 'send' | 'callStarted' | 'callEnded' | 'whenIdle'>

export interface RouteTarget {
  readonly state: string
  readonly kind: 'node' | 'command'
  /** The running instance a call goes to (node/service-node.ts balances; one here before one on another host), or null
   * when none runs. */
  pick(): CallTarget | null
  /** The same among the instances on this host only. */
  pickLocal(): CallTarget | null
}

export interface RouterHost {
  target(name: string): RouteTarget | undefined
  /** Whether `from` may call `to`'s `method`; a refusal is audited by the host. */
  mayCall(from: string, to: string, method: string): boolean
  /** Built-in calls addressed to the manager itself (`$manager`). */
  manager(from: string, method: string, args: unknown[]): Promise<unknown>
}

/** What a call comes back with. A response message is one too: it is passed on as it is. */
export type Answer = { ok: true; value: unknown } | { ok: false; error: SerializedError }

interface Pending {
  from: string
  to: string
  method: string
  at: number
  /** A service's call: the channel it came on, and the id it used there. */
  channel: ServiceController | null
  callerId: number
  /** The instance it was sent to: only that one may answer it, and its exit fails it. */
  via: CallTarget | null
  /** A call from outside the graph: settles its promise. */
  settle: ((answer: Answer) => void) | null
}

/**
 * A call is refused with SVC_ERR_OVERLOADED while this many bytes already wait to be delivered to its target: a
 * service that stops reading its channel (its event loop blocked, or stopped) then costs the manager at most this
 * much memory (and one message more), rather than every call's payload until each times out. 16 MiB keeps the
 * manager's growth under such a service within the 64 MiB the threat model allows (the buffers of queued frames cost
 * more than the bytes counted: docs/benchmarks.md, "Memory under attack").
 */
export const MAX_QUEUED_BYTES = 16 * 1024 * 1024

/** The caller of a call from outside the graph: tests, the CLI, the control socket, another host's manager. */
export const OUTSIDE = '(manager)'

export interface CallStats {
  count: number
  errors: number
  totalMs: number
}

export class Router {
  readonly #pending = new Map<number, Pending>()
  /** caller → its request id → routed id, so a caller's cancel finds its call at once. */
  readonly #byCaller = new Map<string, Map<number, number>>()
  readonly #stats = new Map<string, CallStats>()
  #nextId = 1

  constructor(
    private readonly host: RouterHost,
    private readonly maxQueuedBytes = MAX_QUEUED_BYTES,
    /** Per caller, target and method, for the metrics; null (the default) when they are off. */
    private readonly meters: CallMeters | null = null,
  ) {}

  /** A request from service `from`, arriving on `controller`. */
  fromService(from: string, controller: ServiceController, message: OutgoingRequestMessage): void {
    const pending: Pending = { from, to: message.to, method: message.method, at: 0, channel: controller, callerId: message.id, via: null, settle: null }
    if (message.to === MANAGER_TARGET) {
      // A body that does not decode (a service wrote its own bytes to the pipe) fails this call, not the manager.
      Promise.resolve()
        .then(() => this.host.manager(from, message.method, decoded(message.args, from, `arguments for ${MANAGER_TARGET}.${message.method}`)))
        .then(
          (value) => this.#end(pending, { ok: true, value }),
          (error) => this.#end(pending, { ok: false, error: serializeError(error) }),
        )
      return
    }
    if (!this.host.mayCall(from, message.to, message.method)) return this.#end(pending, { ok: false, error: serializeError(denied(from, message.to)) })
    this.#forward(pending, message.args, message.trace)
  }

  /** A call from outside the graph (tests, CLI, control socket, health checks); `via`: to that instance only. */
  call(to: string, method: string, args: unknown[], timeoutMs: number, via?: ServiceController): Promise<unknown> {
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined
      const settle = (r: Answer) => {
        clearTimeout(timer)
        if (!r.ok) return reject(restoreError(r.error))
        try {
          resolve(decoded(r.value, to, `the result of ${method}`)) // relayed results are still bytes; the outside gets values
        } catch (error) {
          reject(error)
        }
      }
      const pending: Pending = { from: OUTSIDE, to, method, at: 0, channel: null, callerId: 0, via: null, settle }
      const id = this.#forward(pending, args, undefined, via && (() => (via.connected ? via : null)))
      if (id !== undefined) timer = setTimeout(() => this.#expire(id, pending, timeoutMs), timeoutMs)
    })
  }

  /** A call from outside the graph (or another host) got no answer in time: forgotten, and failed. */
  #expire(id: number, pending: Pending, timeoutMs: number): void {
    const { to, method } = pending
    if (this.#pending.get(id) === pending) {
      this.#forget(id, pending)
      this.meters?.ended(pending.from, to, method, true)
    }
    pending.settle!({
      ok: false,
      error: serializeError(svcError('SVC_ERR_CALL_TIMEOUT', `Call to ${to}.${method} got no answer within ${timeoutMs} ms. Is "${to}" stuck?`, { service: to, details: { method, timeoutMs } })),
    })
  }

  /**
   * A call from a service on another host (cluster/cluster-link.ts): the manifest's access rule is checked here, on
   * the host that serves it, and it goes to an instance on this host only. Resolves with the answer as it came back
   * (a relayed result stays bytes).
   */
  relay(from: string, to: string, method: string, args: RawBody, trace: string | undefined, timeoutMs: number): Promise<Answer> {
    const pending: Pending = { from, to, method, at: 0, channel: null, callerId: 0, via: null, settle: null }
    if (from !== OUTSIDE && !this.host.mayCall(from, to, method)) return Promise.resolve({ ok: false, error: serializeError(denied(from, to)) })
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined
      pending.settle = (answer) => {
        clearTimeout(timer)
        resolve(answer)
      }
      const id = this.#forward(pending, args, trace, (target) => target.pickLocal())
      if (id !== undefined) timer = setTimeout(() => this.#expire(id, pending, timeoutMs), timeoutMs)
    })
  }

  /** A response from service `from`, arriving on `controller`: only the instance a request went to may answer it. */
  fromResponse(from: string, controller: CallTarget, message: ResponseMessage): void {
    const pending = this.#pending.get(message.id)
    if (!pending || pending.via !== controller) return
    this.#forget(message.id, pending)
    const stats = this.#statsOf(from)
    const ms = performance.now() - pending.at
    stats.count++
    stats.totalMs += ms
    if (!message.ok) stats.errors++
    this.meters?.answered(pending.from, from, pending.method, ms / 1000, !message.ok)
    if (pending.channel) {
      // The callee's response goes on to the caller as the same message, re-labelled with the caller's id: nothing
      // else holds it, and a relayed call then allocates nothing for its answer.
      message.id = pending.callerId
      try {
        pending.channel.send(message)
      } catch (cause) {
        // Its header grew with the caller's id past the size limit: the caller hears why, as the callee would have.
        answer(pending, { ok: false, error: serializeError(isTooLarge(cause) ? tooLargeFor(from, `the result of ${pending.method}`, cause) : cause) })
      }
    } else pending.settle!(message)
  }

  /** The caller timed out and gave up: forget its pending call. */
  cancel(from: string, callerRequestId: number): void {
    const id = this.#byCaller.get(from)?.get(callerRequestId)
    const pending = id === undefined ? undefined : this.#pending.get(id)
    if (!pending) return
    this.#forget(id!, pending)
    this.meters?.ended(from, pending.to, pending.method, true)
  }

  /** An instance stopped: everything waiting on it fails now rather than at its timeout. */
  failPendingOn(instance: CallTarget, why: string): void {
    if (instance.inFlight === 0) return
    for (const [id, p] of this.#pending) {
      if (p.via !== instance) continue
      const service = p.to
      this.#forget(id, p)
      this.#end(p, {
        ok: false,
        error: serializeError(
          svcError('SVC_ERR_SERVICE_CLOSED', `Service "${service}" ${why} before answering ${p.method}. Retry once it runs again.`, {
            service,
            details: { method: p.method },
          }),
        ),
      })
    }
  }

  stats(service: string): CallStats {
    return { ...this.#statsOf(service) }
  }

  /** Sends the call on to its target (the instance `choose` gives, by default the balanced pick), or answers the caller
   * at once when it cannot be. Returns the routed id. */
  #forward(pending: Pending, args: unknown[] | RawBody, trace?: string, choose: (target: RouteTarget) => CallTarget | null = (target) => target.pick()): number | undefined {
    const { to, method } = pending
    const target = this.host.target(to)
    if (!target) {
      this.#end(pending, {
        ok: false,
        error: serializeError(svcError('SVC_ERR_UNKNOWN_SERVICE', `There is no service "${to}". Check the name against the manifest.`, { service: to })),
      })
      return undefined
    }
    if (target.kind === 'command') {
      const message = `Service "${to}" is a command service: it has no typed API, so ${method} cannot be called. Calls and events are between Node services (entry:); reach "${to}" through its own protocol (its port, its CLI).`
      this.#end(pending, { ok: false, error: serializeError(svcError('SVC_ERR_NOT_CALLABLE', message, { service: to, details: { method } })) })
      return undefined
    }
    const controller = target.state !== 'running' ? null : choose(target)
    if (!controller) {
      this.#end(pending, {
        ok: false,
        error: serializeError(
          svcError('SVC_ERR_SERVICE_NOT_RUNNING', `Service "${to}" is ${target.state}, not running; ${method} was not called. Retry once it runs.`, {
            service: to,
            details: { method, state: target.state },
          }),
        ),
      })
      return undefined
    }
    const queuedBytes = controller.queuedBytes
    if (queuedBytes >= this.maxQueuedBytes) {
      this.#end(pending, { ok: false, error: serializeError(overloaded(to, method, queuedBytes, this.maxQueuedBytes)) })
      return undefined
    }
    const id = this.#nextId++
    pending.at = performance.now()
    if (pending.channel) {
      let ids = this.#byCaller.get(pending.from)
      if (!ids) this.#byCaller.set(pending.from, (ids = new Map()))
      ids.set(pending.callerId, id)
    }
    pending.via = controller
    controller.callStarted()
    this.#pending.set(id, pending)
    let sent: boolean
    try {
      // A relayed body (RawBody) goes on as the bytes it came in; the frame writer knows it.
      const body = args as unknown[]
      sent = controller.send(trace ? { type: 'request', id, from: pending.from, method, args: body, trace } : { type: 'request', id, from: pending.from, method, args: body })
    } catch (cause) {
      this.#forget(id, pending)
      this.#end(pending, {
        ok: false,
        error: serializeError(
          isTooLarge(cause)
            ? tooLargeFor(pending.from, `the arguments of ${to}.${method}`, cause)
            : svcError('SVC_ERR_NOT_SERIALIZABLE', `Arguments for ${to}.${method} cannot be sent (${(cause as Error).message}). Pass JSON-serialisable values.`, {
                service: to,
                cause,
              }),
        ),
      })
      return undefined
    }
    if (!sent) this.failPendingOn(controller, 'lost its channel')
    return id
  }

  // An answer the router gives itself (a refusal, a failure, `$manager`'s result): counted, then sent.
  #end(pending: Pending, r: Answer): void {
    this.meters?.ended(pending.from, pending.to, pending.method, !r.ok)
    answer(pending, r)
  }

  #forget(id: number, pending: Pending): void {
    this.#pending.delete(id)
    pending.via?.callEnded()
    if (pending.channel) this.#byCaller.get(pending.from)?.delete(pending.callerId)
  }

  #statsOf(service: string): CallStats {
    let s = this.#stats.get(service)
    if (!s) this.#stats.set(service, (s = { count: 0, errors: 0, totalMs: 0 }))
    return s
  }
}

/** Answers a call the router will not (or can no longer) route: down the caller's channel, or to its promise. */
function answer(pending: Pending, r: Answer): void {
  if (pending.channel) void pending.channel.send({ type: 'response', id: pending.callerId, ...r } as ResponseMessage)
  else pending.settle!(r)
}

function denied(from: string, to: string): Error {
  return svcError('SVC_ERR_ACCESS_DENIED', `Service "${from}" may not call "${to}": it is not in its dependsOn (or permissions.calls). Declare the dependency in the manifest.`, {
    service: from,
    details: { target: to },
  })
}

function overloaded(to: string, method: string, queuedBytes: number, limitBytes: number): Error {
  return svcError(
    'SVC_ERR_OVERLOADED',
    `Service "${to}" is not reading its channel: ${wholeMiB(queuedBytes)} MiB of messages already wait to be delivered to it (the limit is ${wholeMiB(limitBytes)} MiB), so ${method} was not sent. Is "${to}" blocking its event loop? Retry later, or send it less at once.`,
    { service: to, details: { method, queuedBytes, limitBytes } },
  )
}

/** The value of a body that may still be bytes; a body that does not decode is the sending service's error. */
function decoded<T>(value: T | RawBody, service: string, what: string): T {
  try {
    return materialize(value)
  } catch (cause) {
    throw svcError('SVC_ERR_NOT_SERIALIZABLE', `Service "${service}" sent ${what} that cannot be decoded (${(cause as Error).message}). Send JSON-serialisable values through the framework, not raw bytes on fd 3.`, {
      service,
      cause,
    })
  }
}
