// The dashboard's one secret: a random token, printed in the URL. Every request must carry it — in the query
// string (the printed URL), the x-svc-token header (scripts, the page's own API calls) or the cookie the page
// gets on its first load (its scripts, styles and event streams are fetched without the query string).

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { TOKEN_HEADER } from '../protocol.js'

export function newToken(): string {
  return randomBytes(24).toString('base64url')
}

export class TokenCheck {
  readonly #digest: Buffer

  constructor(
    readonly token: string,
    readonly cookieName: string,
  ) {
    this.#digest = digest(token)
  }

  /** With `cookie: false`, only a token the request shows itself counts (the browser adds cookies on its own). */
  allows(request: IncomingMessage, url: URL, options: { cookie: boolean } = { cookie: true }): boolean {
    const header = request.headers[TOKEN_HEADER]
    const candidates = [url.searchParams.get('token'), typeof header === 'string' ? header : null]
    if (options.cookie) candidates.push(cookie(request, this.cookieName))
    return candidates.some((c) => c !== null && this.#matches(c))
  }

  /** Set on the page: HttpOnly (scripts never read it), SameSite=Strict (no other site's page sends it). */
  cookie(): string {
    return `${this.cookieName}=${this.token}; Path=/; HttpOnly; SameSite=Strict`
  }

  // Compare digests, so neither the length nor the content of the token leaks through timing.
  #matches(candidate: string): boolean {
    return timingSafeEqual(digest(candidate), this.#digest)
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest()
}

function cookie(request: IncomingMessage, name: string): string | null {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return null
}
