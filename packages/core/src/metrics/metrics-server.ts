// `/metrics` over HTTP, for Prometheus to scrape: GET /metrics answers the registry's text; anything else 404.

import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { svcError } from '../errors.js'

/** 127.0.0.1 unless told otherwise: the figures name every service and method, which is not for the whole network. */
export const DEFAULT_METRICS_HOST = '127.0.0.1'

export interface MetricsAddress {
  port: number
  host: string
}

export interface Exposition {
  contentType: string
  text(): Promise<string>
}

export class MetricsServer {
  #server: Server | null = null
  #url: string | null = null

  constructor(private readonly exposition: () => Exposition) {}

  /** `http://host:port/metrics` while it listens; the real port when 0 was asked for. */
  get url(): string | null {
    return this.#url
  }

  async listen({ port, host }: MetricsAddress): Promise<string> {
    const server = createServer((request, response) => {
      const path = (request.url ?? '/').split('?')[0]
      if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
        response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found: metrics are served at GET /metrics.\n')
        return
      }
      Promise.resolve()
        .then(async () => {
          const exposition = this.exposition()
          const body = await exposition.text()
          response.writeHead(200, { 'content-type': exposition.contentType }).end(request.method === 'HEAD' ? undefined : body)
        })
        .catch((error: Error) => response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`Metrics could not be collected: ${error.message}\n`))
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', (cause: NodeJS.ErrnoException) =>
        reject(
          svcError('SVC_ERR_METRICS_LISTEN', `Cannot serve metrics on ${host}:${port} (${cause.code ?? cause.message}). Choose another port (metrics.port in the manifest, or svc up --metrics).`, {
            details: { host, port },
            cause,
          }),
        ),
      )
      server.listen(port, host, () => resolve())
    })
    const address = server.address() as AddressInfo
    this.#server = server
    this.#url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}/metrics`
    return this.#url
  }

  async close(): Promise<void> {
    const server = this.#server
    this.#server = null
    this.#url = null
    if (!server) return
    // A scraper's keep-alive connection would hold close() open until it idles out.
    const closed = new Promise<void>((resolve) => server.close(() => resolve()))
    server.closeAllConnections()
    await closed
  }
}
