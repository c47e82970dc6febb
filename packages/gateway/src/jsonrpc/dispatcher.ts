// Routes validated JSON-RPC calls to the backend: expose check, params check, the call itself,
// error mapping, metrics. Shared by the HTTP server and the Redis channel.

import { debuglog } from 'node:util'
import type { Backend, GatewayLogger } from '../backend.js'
import { GatewayErrorCode } from '../errors.js'
import type { ExposeTable } from '../expose.js'
import { INVALID, UNEXPOSED, type RequestMetrics, type Transport } from '../metrics/request-metrics.js'
import { mapServiceError } from './map-error.js'
import { checkRequest, failure, rpcError, RpcCode, success, type RpcErrorObject, type RpcId, type RpcResponse } from './protocol.js'

const debug = debuglog('svc:gateway')

export type CallOutcome = { ok: true; result: unknown } | { ok: false; error: RpcErrorObject }

export interface DispatcherOptions {
  expose: ExposeTable
  maxBatch: number
  callTimeoutMs: number | undefined
}

const quote = (name: string): string => JSON.stringify(name.length > 100 ? name.slice(0, 100) + '…' : name)

export class Dispatcher {
  readonly #backend: Backend
  readonly #options: DispatcherOptions
  readonly #metrics: RequestMetrics
  readonly #log: GatewayLogger

  constructor(backend: Backend, options: DispatcherOptions, metrics: RequestMetrics, log: GatewayLogger) {
    this.#backend = backend
    this.#options = options
    this.#metrics = metrics
    this.#log = log
  }

  // One call by name. Never rejects: every failure becomes an RpcErrorObject.
  async invoke(name: string, params: unknown, transport: Transport): Promise<CallOutcome> {
    const started = performance.now()
    const resolved = this.#options.expose.resolve(name)
    if (!resolved) {
      this.#metrics.record(UNEXPOSED, transport, 'error', (performance.now() - started) / 1000)
      return {
        ok: false,
        error: rpcError(RpcCode.METHOD_NOT_FOUND, `Method not found: ${quote(name)} is not exposed by this gateway`,
          GatewayErrorCode.METHOD_NOT_EXPOSED),
      }
    }
    const outcome = await this.#call(resolved.service, resolved.method, name, params, resolved.rule)
    this.#metrics.record(name, transport, outcome.ok ? 'ok' : 'error', (performance.now() - started) / 1000)
    return outcome
  }

  async #call(
    service: string,
    method: string,
    name: string,
    params: unknown,
    rule: { minParams?: number; maxParams?: number },
  ): Promise<CallOutcome> {
    if (params !== undefined && (typeof params !== 'object' || params === null)) {
      return { ok: false, error: rpcError(RpcCode.INVALID_PARAMS, 'Invalid params: expected an array or an object', GatewayErrorCode.INVALID_PARAMS) }
    }
    // Positional params spread into arguments; a params object is passed as the single argument.
    const args = params === undefined ? [] : Array.isArray(params) ? params : [params]
    if ((rule.minParams !== undefined && args.length < rule.minParams) || (rule.maxParams !== undefined && args.length > rule.maxParams)) {
      const want = rule.minParams === rule.maxParams ? `${rule.minParams}` : `${rule.minParams ?? 0}…${rule.maxParams ?? '∞'}`
      return {
        ok: false,
        error: rpcError(RpcCode.INVALID_PARAMS, `Invalid params: ${quote(name)} takes ${want} argument(s), got ${args.length}`,
          GatewayErrorCode.INVALID_PARAMS, { expected: want, got: args.length }),
      }
    }
    try {
      const timeoutMs = this.#options.callTimeoutMs
      const result = await this.#backend.call(service, method, args, timeoutMs === undefined ? undefined : { timeoutMs })
      return { ok: true, result }
    } catch (err) {
      debug('call %s failed: %o', name, err)
      return { ok: false, error: mapServiceError(err, name) }
    }
  }

  // Answers a parsed request body: the response text, or undefined when nothing may be sent
  // (a notification, or a batch made only of notifications).
  async answer(body: unknown, transport: Transport): Promise<string | undefined> {
    if (!Array.isArray(body)) return this.#one(body, transport)
    if (body.length === 0) {
      this.#metrics.record(INVALID, transport, 'error', 0)
      return serialize(failure(null, rpcError(RpcCode.INVALID_REQUEST, 'Invalid Request: empty batch', GatewayErrorCode.INVALID_REQUEST)))
    }
    if (body.length > this.#options.maxBatch) {
      this.#metrics.record(INVALID, transport, 'error', 0)
      return serialize(failure(null, rpcError(RpcCode.INVALID_REQUEST,
        `Invalid Request: batch of ${body.length} exceeds the limit of ${this.#options.maxBatch}; split it`,
        GatewayErrorCode.BATCH_TOO_LARGE, { limit: this.#options.maxBatch })))
    }
    const parts = (await Promise.all(body.map((item) => this.#one(item, transport)))).filter((p) => p !== undefined)
    return parts.length === 0 ? undefined : `[${parts.join(',')}]`
  }

  async #one(item: unknown, transport: Transport): Promise<string | undefined> {
    try {
      const checked = checkRequest(item)
      if (!checked.ok) {
        this.#metrics.record(INVALID, transport, 'error', 0)
        return serialize(failure(checked.id, checked.error))
      }
      const { call } = checked
      const outcome = await this.invoke(call.method, call.params, transport)
      if (call.isNotification) return undefined
      const id = call.id ?? null
      return serialize(outcome.ok ? success(id, outcome.result) : failure(id, outcome.error))
    } catch (err) {
      // Only a gateway bug gets here; answer it rather than crash or hang the client.
      this.#log.error('gateway internal error while answering a JSON-RPC request:', err)
      return serialize(failure(null, internalError()))
    }
  }
}

export const internalError = (): RpcErrorObject =>
  rpcError(RpcCode.INTERNAL_ERROR, 'Internal error in the gateway; see its log', GatewayErrorCode.INTERNAL)

// Serializes one response; a result JSON cannot carry (BigInt, cycles) becomes -32603 for that id only.
export function serialize(response: RpcResponse): string {
  try {
    return JSON.stringify(response)
  } catch (err) {
    const id: RpcId = response.id
    return JSON.stringify(failure(id, rpcError(RpcCode.INTERNAL_ERROR,
      `Internal error: the result could not be serialized to JSON (${(err as Error).message})`,
      GatewayErrorCode.RESULT_NOT_SERIALIZABLE)))
  }
}
