// The gateway's HTTP surface: POST /rpc, GET /healthz, GET /metrics. Anything else is 404/405.
// Check order on /rpc: auth (401) → content type (415) → size (413) → JSON (-32700) → JSON-RPC rules.

import type { IncomingMessage, ServerResponse } from 'node:http'
import type { GatewayLogger } from '../backend.js'
import { GatewayErrorCode } from '../errors.js'
import type { Dispatcher } from '../jsonrpc/dispatcher.js'
import { internalError } from '../jsonrpc/dispatcher.js'
import { rpcError, RpcCode } from '../jsonrpc/protocol.js'
import { PROMETHEUS_CONTENT_TYPE } from '../metrics/exposition.js'
import type { RequestMetrics } from '../metrics/request-metrics.js'
import { bearerCheck } from './auth.js'
import { readBody } from './body.js'
import { sendJson, sendNoContent, sendRpcError, sendText } from './respond.js'

export interface HealthReport {
  healthy: boolean
  body: unknown
}

export interface HttpDeps {
  dispatcher: Dispatcher
  metrics: RequestMetrics
  token: string | undefined
  bodyLimit: number
  health(): Promise<HealthReport>
  metricsText(): Promise<string>
  log: GatewayLogger
  /** Sent as `x-svc-instance` on every response, so a client of a shared port can tell which process answered. */
  instance?: string
}

// application/json plus the two historical JSON-RPC media types; parameters such as charset are fine.
const JSON_TYPE_RE = /^application\/(json|json-rpc|jsonrequest)\s*(;|$)/i

export function createHttpHandler(deps: HttpDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const authorized = bearerCheck(deps.token)

  const unauthorized = (res: ServerResponse): void => {
    deps.metrics.reject('unauthorized')
    sendRpcError(res, 401, rpcError(RpcCode.UNAUTHORIZED, 'Unauthorized: send "Authorization: Bearer <token>" with the gateway token',
      GatewayErrorCode.UNAUTHORIZED), { 'www-authenticate': 'Bearer realm="gateway"' })
  }

  const methodNotAllowed = (res: ServerResponse, allow: string, path: string): void => {
    deps.metrics.reject('method_not_allowed')
    sendRpcError(res, 405, rpcError(RpcCode.INVALID_REQUEST, `Method not allowed: use ${allow} ${path}`, GatewayErrorCode.INVALID_REQUEST),
      { allow })
  }

  async function rpc(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!authorized(req.headers.authorization)) return unauthorized(res)
    if (!JSON_TYPE_RE.test(req.headers['content-type'] ?? '')) {
      deps.metrics.reject('content_type')
      return sendRpcError(res, 415, rpcError(RpcCode.INVALID_REQUEST,
        'Unsupported Media Type: send the request with "Content-Type: application/json"', GatewayErrorCode.CONTENT_TYPE))
    }
    const read = await readBody(req, deps.bodyLimit)
    if (!read.ok) {
      if (read.reason === 'aborted') return void res.destroy()
      deps.metrics.reject('body_too_large')
      sendRpcError(res, 413, rpcError(RpcCode.BODY_TOO_LARGE,
        `Payload too large: the body exceeds ${deps.bodyLimit} bytes; send smaller batches or raise the gateway's bodyLimit`,
        GatewayErrorCode.BODY_TOO_LARGE, { limit: deps.bodyLimit }), { connection: 'close' })
      // Still-unread input beyond the drain allowance is not worth reading; drop the connection.
      if (!req.complete) res.on('finish', () => req.socket.destroy())
      return
    }
    let parsed: unknown
    try {
      parsed = JSON.parse(read.body.toString('utf8'))
    } catch (err) {
      deps.metrics.reject('parse_error')
      return sendRpcError(res, 200, rpcError(RpcCode.PARSE_ERROR, `Parse error: ${(err as Error).message}`, GatewayErrorCode.PARSE))
    }
    const answer = await deps.dispatcher.answer(parsed, 'http')
    if (answer === undefined) sendNoContent(res)
    else sendJson(res, 200, answer)
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?', 1)[0]
    switch (path) {
      case '/rpc':
        return req.method === 'POST' ? rpc(req, res) : methodNotAllowed(res, 'POST', path)
      case '/healthz': {
        if (req.method !== 'GET') return methodNotAllowed(res, 'GET', path)
        const report = await deps.health()
        return sendJson(res, report.healthy ? 200 : 503, JSON.stringify(report.body))
      }
      case '/metrics':
        if (req.method !== 'GET') return methodNotAllowed(res, 'GET', path)
        if (!authorized(req.headers.authorization)) return unauthorized(res)
        return sendText(res, 200, PROMETHEUS_CONTENT_TYPE, await deps.metricsText())
      default:
        deps.metrics.reject('not_found')
        return sendJson(res, 404, JSON.stringify({ error: { code: GatewayErrorCode.NOT_FOUND, message: `No route ${path}; use POST /rpc, GET /healthz or GET /metrics` } }))
    }
  }

  return (req, res) => {
    if (deps.instance !== undefined) res.setHeader('x-svc-instance', deps.instance)
    route(req, res).catch((err: unknown) => {
      // A bug must cost one request, never the process.
      deps.log.error('gateway internal error on', req.method, req.url, err)
      if (!res.headersSent) sendRpcError(res, 500, internalError())
      else res.destroy()
    })
  }
}
