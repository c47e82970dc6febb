// The page's calls to the dashboard server. The token goes in a header: the server does not accept the
// cookie alone for an action, so another site can never make the browser restart a service.

import type { Action, ApiError, DashboardEvent, LogEvent } from '../protocol.js'

const token = new URLSearchParams(location.search).get('token')

function withToken(path: string): string {
  if (token === null) return path // the cookie set with the page carries it
  return `${path}${path.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`
}

export function openEvents(): EventSource {
  return new EventSource(withToken('/events'))
}

export function openLog(service: string, limit: number): EventSource {
  return new EventSource(withToken(`/events/logs?service=${encodeURIComponent(service)}&limit=${limit}`))
}

export function parseEvent<T extends DashboardEvent | LogEvent>(message: MessageEvent<string>): T {
  return JSON.parse(message.data) as T
}

/** Resolves when the manager has done it (a restart resolves once the service and its dependents run again). */
export async function runAction(service: string, action: Action): Promise<void> {
  const response = await fetch(`/api/services/${encodeURIComponent(service)}/${action}`, {
    method: 'POST',
    headers: token === null ? {} : { 'x-svc-token': token },
  })
  if (response.ok) return
  const body = (await response.json().catch(() => null)) as ApiError | null
  throw new Error(body ? `${body.error.code}: ${body.error.message}` : `HTTP ${response.status}`)
}
