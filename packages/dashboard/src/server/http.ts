// Response helpers: every answer is uncacheable, typed, and locked to this origin's own scripts and styles.

import type { ServerResponse } from 'node:http'
import type { ApiError } from '../protocol.js'

// Only what the manager serves: no inline scripts (but the hashed ones a page names), no other hosts, no frames.
export function contentSecurityPolicy(scriptHashes: readonly string[] = []): string {
  const scripts = ["'self'", ...scriptHashes.map((hash) => `'${hash}'`)].join(' ')
  return `default-src 'none'; script-src ${scripts}; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`
}

const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'content-security-policy': contentSecurityPolicy(),
} as const

export function securityHeaders(extra: Record<string, string> = {}): Record<string, string> {
  return { ...SECURITY_HEADERS, ...extra }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) {
    res.destroy()
    return
  }
  const text = JSON.stringify(body)
  res.writeHead(status, securityHeaders({ 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(text)) }))
  res.end(text)
}

export function sendError(res: ServerResponse, status: number, code: string, message: string, service?: string): void {
  const body: ApiError = { error: service === undefined ? { code, message } : { code, message, service } }
  sendJson(res, status, body)
}
