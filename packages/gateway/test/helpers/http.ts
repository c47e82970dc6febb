// Raw HTTP requests (node:http, no agent reuse unless asked) so tests control every header and byte.

import { request as httpRequest, type Agent, type IncomingHttpHeaders } from 'node:http'

export interface HttpResult {
  status: number
  headers: IncomingHttpHeaders
  text: string
  json(): any
}

export interface HttpOptions {
  method?: string
  headers?: Record<string, string | number>
  body?: string | Buffer
  agent?: Agent | false
  /** Write the body in several chunks without a Content-Length (chunked encoding). */
  chunked?: boolean
}

export function request(url: string, options: HttpOptions = {}): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? 'GET', headers: options.headers, agent: options.agent ?? false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) })
      })
      res.on('error', reject)
    })
    req.on('error', reject)
    if (options.body !== undefined && options.chunked) {
      const body = Buffer.from(options.body)
      const step = Math.ceil(body.length / 4)
      for (let i = 0; i < body.length; i += step) req.write(body.subarray(i, i + step))
      req.end()
    } else {
      req.end(options.body)
    }
  })
}

export function rpc(base: string, body: unknown, headers: Record<string, string> = {}): Promise<HttpResult> {
  const text = typeof body === 'string' ? body : JSON.stringify(body)
  return request(`${base}/rpc`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: text })
}
