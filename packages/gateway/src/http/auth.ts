// Bearer-token check in constant time (hashing first makes the lengths equal).

import { createHash, timingSafeEqual } from 'node:crypto'

const digest = (s: string): Buffer => createHash('sha256').update(s).digest()

export function bearerCheck(token: string | undefined): (header: string | undefined) => boolean {
  if (token === undefined) return () => true
  const expected = digest(token)
  return (header) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')
    return match !== null && timingSafeEqual(digest(match[1]!), expected)
  }
}
