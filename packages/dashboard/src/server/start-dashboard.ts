// The dashboard's HTTP server: loopback only, one random token, and nothing a request does can take the
// manager down (every handler's failure ends as a 500 for that request alone).

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { debuglog } from 'node:util'
import type { DashboardEvent, LogEvent } from '../protocol.js'
import type { DashboardSource } from '../source.js'
import { loadAssets } from './assets.js'
import { newToken, TokenCheck } from './auth.js'
import { DashboardError } from './errors.js'
import type { EventStream } from './event-stream.js'
import { sendError } from './http.js'
import { DASHBOARD_LIMITS, type DashboardLimits } from './limits.js'
import { LiveFeed } from './live-feed.js'
import { route, type RouteContext } from './routes.js'

const trace = debuglog('svc:dashboard')

export const HOST = '127.0.0.1'

export interface DashboardOptions {
  source: DashboardSource
  /** 0 (default): any free port. */
  port?: number
  /** Samples kept per service for the charts. Default 120 (two minutes at the manager's 1 s sampling). */
  historyLength?: number
  /** What one client may cost (docs/dashboard.md); the defaults are DASHBOARD_LIMITS. */
  limits?: Partial<DashboardLimits>
  /** Told when a stream is disconnected for falling too far behind. */
  onClientDropped?(reason: string): void
}

export interface Dashboard {
  readonly port: number
  readonly token: string
  /** Open this: it carries the token. */
  readonly url: string
  /** Resolves with the reason once the dashboard closes: the source went away (the manager stopped), or close() was called. */
  readonly closed: Promise<string>
  /** Tells the pages, ends every stream and stops listening. */
  close(reason?: string): Promise<void>
}

export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const assets = loadAssets()
  const feed = new LiveFeed(options.source, options.historyLength ?? 120)
  const closed = new Promise<string>((resolve) => feed.onClosing(resolve))
  try {
    await feed.open()
  } catch (error) {
    feed.close('the dashboard could not read the services')
    throw error
  }
  const token = newToken()
  const streams = new Set<EventStream<DashboardEvent | LogEvent>>()

  const limits: DashboardLimits = { ...DASHBOARD_LIMITS, ...options.limits }
  const server = createServer({
    maxHeaderSize: limits.maxHeaderBytes,
    headersTimeout: limits.requestTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    // How often Node checks those two timeouts (30 s by default, which would stretch them).
    connectionsCheckingInterval: Math.min(1_000, limits.requestTimeoutMs),
  })
  // A malformed, oversized or unfinished request is the client's problem: answer and carry on.
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    trace('client error: %s', error.message)
    const status = CLIENT_ERROR_STATUS[error.code ?? ''] ?? '400 Bad Request'
    if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\n\r\n`)
    else socket.destroy()
  })
  const port = await listen(server, options.port ?? 0, () => feed.close('the dashboard could not listen'))
  // One cookie per port: cookies are shared by every port of 127.0.0.1.
  const ctx: RouteContext = {
    source: options.source,
    feed,
    assets,
    streams,
    auth: new TokenCheck(token, `svc_dashboard_${port}`),
    limits,
    onClientDropped: (reason) => options.onClientDropped?.(reason),
  }
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    route(ctx, req, res).catch((error: Error) => {
      trace('%s %s failed: %s', req.method, req.url?.replace(/token=[^&]*/, 'token=…'), error.stack)
      if (!res.headersSent) sendError(res, 500, 'SVC_ERR_DASHBOARD_INTERNAL', `The dashboard failed to answer: ${error.message}`)
      else res.destroy()
    })
  })

  let closing: Promise<void> | null = null
  const close = (reason = 'the dashboard closed'): Promise<void> => {
    if (closing) return closing
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()))
    closing = stopped
    feed.close(reason) // tells the pages on the main stream
    for (const stream of streams) {
      stream.send({ type: 'closing', reason })
      stream.close()
    }
    server.closeAllConnections()
    return stopped
  }
  feed.onClosing((reason) => void close(reason))
  return { port, token, url: `http://${HOST}:${port}/?token=${token}`, closed, close }
}

const CLIENT_ERROR_STATUS: Readonly<Record<string, string>> = {
  HPE_HEADER_OVERFLOW: '431 Request Header Fields Too Large',
  ERR_HTTP_REQUEST_TIMEOUT: '408 Request Timeout',
}

function listen(server: Server, port: number, onFailure: () => void): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      onFailure()
      const why = error.code === 'EADDRINUSE' ? 'the port is in use' : error.code === 'EACCES' ? 'permission denied' : error.message
      reject(
        new DashboardError('SVC_ERR_DASHBOARD_LISTEN', `Could not serve the dashboard on ${HOST}:${port}: ${why}.`, 'Pick another port, or 0 for any free one.', {
          cause: error,
        }),
      )
    })
    server.listen(port, HOST, () => resolve((server.address() as AddressInfo).port))
  })
}
