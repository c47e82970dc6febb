// Reads a request body up to a byte limit.

import type { IncomingMessage } from 'node:http'

export type BodyResult = { ok: true; body: Buffer } | { ok: false; reason: 'too-large' | 'aborted' }

// After the limit is hit the rest is read and discarded (up to this multiple of the limit) before
// answering 413: closing a socket that still has unread input makes the kernel send RST, and the
// client would then lose the 413 itself.
const DRAIN_FACTOR = 8

export function readBody(req: IncomingMessage, limit: number): Promise<BodyResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let size = 0
    let tooLarge = false
    let settled = false
    const settle = (r: BodyResult): void => {
      if (settled) return
      settled = true
      resolve(r)
    }
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (!tooLarge && size > limit) {
        tooLarge = true
        chunks.length = 0
      }
      if (!tooLarge) chunks.push(chunk)
      else if (size > limit * DRAIN_FACTOR) settle({ ok: false, reason: 'too-large' })
    })
    req.on('end', () => settle(tooLarge ? { ok: false, reason: 'too-large' } : { ok: true, body: Buffer.concat(chunks, size) }))
    req.on('error', () => settle({ ok: false, reason: 'aborted' }))
    req.on('close', () => settle({ ok: false, reason: 'aborted' }))
  })
}
