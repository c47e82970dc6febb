// Every request: the token first, then the route. Nothing a request carries reaches HTML: the page is a
// static file and the data goes out as JSON, which the page writes with textContent.

import type { IncomingMessage, ServerResponse } from 'node:http'
import { ACTIONS, type Action, type DashboardEvent, type LogEvent } from '../protocol.js'
import type { DashboardSource } from '../source.js'
import type { Asset } from './assets.js'
import type { TokenCheck } from './auth.js'
import { EventStream } from './event-stream.js'
import type { DashboardLimits } from './limits.js'
import { securityHeaders, sendError, sendJson } from './http.js'
import type { LiveFeed } from './live-feed.js'
import { followLog } from './log-stream.js'

export interface RouteContext {
  source: DashboardSource
  feed: LiveFeed
  assets: Map<string, Asset>
  auth: TokenCheck
  /** Every open event stream, so closing the dashboard can end them. */
  streams: Set<EventStream<DashboardEvent | LogEvent>>
  limits: DashboardLimits
  /** Told when a stream is cut off for falling too far behind. */
  onClientDropped(reason: string): void
}

const DEFAULT_LOG_LINES = 500
const MAX_LOG_LINES = 5_000
const ACTION_PATH = /^\/api\/services\/([^/]+)\/([a-z]+)$/

export async function route(ctx: RouteContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1')
  if (!ctx.auth.allows(req, url)) {
    return sendError(res, 401, 'SVC_ERR_DASHBOARD_UNAUTHORIZED', 'This dashboard needs its token: open the URL that `svc up --ui` or `svc ui` printed (it ends in ?token=…).')
  }
  const path = url.pathname
  const action = ACTION_PATH.exec(path)
  if (action) {
    if (req.method !== 'POST') return sendError(res, 405, 'SVC_ERR_DASHBOARD_METHOD', `${path} only answers POST.`)
    // A cookie is sent by the browser on its own; an action must show the token itself (no cross-site requests).
    if (!ctx.auth.allows(req, url, { cookie: false })) {
      return sendError(res, 401, 'SVC_ERR_DASHBOARD_UNAUTHORIZED', 'Actions need the token in the x-svc-token header (or ?token=), not only the cookie.')
    }
    req.resume() // no body is read; drain whatever was sent
    return runAction(ctx, res, decodeName(action[1]!), action[2]!)
  }
  // HEAD only for the files: streams and API answers are not worth producing to throw away.
  if (req.method !== 'GET' && !(req.method === 'HEAD' && ctx.assets.has(path))) {
    return sendError(res, 405, 'SVC_ERR_DASHBOARD_METHOD', `${path} only answers GET.`)
  }

  switch (path) {
    case '/events':
      return openFeed(ctx, req, res)
    case '/events/logs':
      return openLog(ctx, req, res, url)
    case '/api/services':
      return sendJson(res, 200, ctx.feed.model.services())
    case '/api/logs':
      return sendLogs(ctx, res, url)
  }
  const asset = ctx.assets.get(path)
  if (!asset) return sendError(res, 404, 'SVC_ERR_DASHBOARD_NOT_FOUND', `Nothing at ${path}.`)
  const headers = securityHeaders({ 'content-type': asset.type, 'content-length': String(asset.body.length), ...asset.headers })
  if (path === '/') headers['set-cookie'] = ctx.auth.cookie()
  res.writeHead(200, headers)
  res.end(req.method === 'HEAD' ? undefined : asset.body)
}

function openFeed(ctx: RouteContext, req: IncomingMessage, res: ServerResponse): void {
  const stream = new EventStream<DashboardEvent>(req, res, ctx.limits.maxQueuedBytes, ctx.onClientDropped)
  track(ctx, stream)
  ctx.feed.addPage(stream)
}

async function openLog(ctx: RouteContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const service = serviceParam(ctx, res, url)
  if (service === null) return
  const limit = limitParam(res, url)
  if (limit === null) return
  const stream = new EventStream<LogEvent>(req, res, ctx.limits.maxQueuedBytes, ctx.onClientDropped)
  track(ctx, stream)
  if (ctx.feed.closedReason !== null) {
    stream.send({ type: 'closing', reason: ctx.feed.closedReason })
    return stream.close()
  }
  try {
    await followLog(ctx.source, service, limit, stream, ctx.limits.logHighWaterBytes)
  } catch (error) {
    // The headers are out: end the stream; the page's EventSource reconnects.
    stream.close()
    throw error
  }
}

async function sendLogs(ctx: RouteContext, res: ServerResponse, url: URL): Promise<void> {
  const service = serviceParam(ctx, res, url)
  if (service === null) return
  const limit = limitParam(res, url)
  if (limit === null) return
  sendJson(res, 200, { lines: await ctx.source.logs(service, limit) })
}

async function runAction(ctx: RouteContext, res: ServerResponse, service: string | null, verb: string): Promise<void> {
  if (!isAction(verb)) return sendError(res, 404, 'SVC_ERR_DASHBOARD_NOT_FOUND', `Unknown action "${verb}": use ${ACTIONS.join(', ')}.`)
  if (service === null) return sendError(res, 400, 'SVC_ERR_DASHBOARD_BAD_REQUEST', 'The service name in the path is not valid URL encoding.')
  if (!ctx.feed.model.has(service)) return sendError(res, 404, 'SVC_ERR_UNKNOWN_SERVICE', unknownService(ctx, service), service)
  try {
    await ctx.source[verb](service)
  } catch (error) {
    const e = error as { code?: unknown; message?: unknown }
    const code = typeof e.code === 'string' ? e.code : 'SVC_ERR_DASHBOARD_ACTION'
    const status = code === 'SVC_ERR_UNKNOWN_SERVICE' ? 404 : code === 'SVC_ERR_MANAGER_CLOSED' ? 409 : 500
    const message = typeof e.message === 'string' ? e.message : String(error)
    return sendError(res, status, code, `Could not ${verb} "${service}": ${message}`, service)
  }
  sendJson(res, 200, { services: ctx.feed.model.services() })
}

function track(ctx: RouteContext, stream: EventStream<DashboardEvent | LogEvent>): void {
  ctx.streams.add(stream)
  stream.onClose(() => ctx.streams.delete(stream))
}

function serviceParam(ctx: RouteContext, res: ServerResponse, url: URL): string | null {
  const service = url.searchParams.get('service')
  if (!service) {
    sendError(res, 400, 'SVC_ERR_DASHBOARD_BAD_REQUEST', 'Name the service: ?service=NAME.')
    return null
  }
  if (!ctx.feed.model.has(service)) {
    sendError(res, 404, 'SVC_ERR_UNKNOWN_SERVICE', unknownService(ctx, service), service)
    return null
  }
  return service
}

function limitParam(res: ServerResponse, url: URL): number | null {
  const raw = url.searchParams.get('limit')
  if (raw === null) return DEFAULT_LOG_LINES
  const limit = Number(raw)
  if (!Number.isInteger(limit) || limit < 0 || limit > MAX_LOG_LINES) {
    sendError(res, 400, 'SVC_ERR_DASHBOARD_BAD_REQUEST', `limit must be a whole number from 0 to ${MAX_LOG_LINES}, not "${raw}".`)
    return null
  }
  return limit
}

function unknownService(ctx: RouteContext, service: string): string {
  return `There is no service "${service}". Known services: ${ctx.feed.model.names().join(', ')}.`
}

function isAction(verb: string): verb is Action {
  return (ACTIONS as readonly string[]).includes(verb)
}

function decodeName(raw: string): string | null {
  try {
    return decodeURIComponent(raw)
  } catch {
    return null
  }
}
