// An http probe's attempt: a GET that answers 2xx (after redirects, as fetch follows them).

import { probeFailed } from './failure.js'
import type { PolledProbe } from './types.js'

export async function getOk(probe: Extract<PolledProbe, { kind: 'http' }>, signal: AbortSignal): Promise<void> {
  const res = await fetch(probe.url, { signal })
  // Only the status counts: release the body unread, so that a large page costs nothing.
  await res.body?.cancel()
  if (!res.ok) throw probeFailed(probe, `HTTP ${res.status}`, { status: res.status })
}
