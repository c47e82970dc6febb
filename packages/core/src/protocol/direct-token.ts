// The proof a direct caller presents (see "Direct calls" in messages.ts): only the manager, which knows the
// target's per-start key, can make it, and it names one caller.

import { createHmac } from 'node:crypto'

export function directToken(key: string, caller: string): string {
  return createHmac('sha256', key).update(caller).digest('base64url')
}
