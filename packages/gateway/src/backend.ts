// What the engine needs from the outside world. The framework adapter (service.ts) builds one from a
// ServiceContext; tests build an in-process fake. The engine never imports the framework runtime.

import type { ServiceSnapshot } from '@services-cluster/core/remote'

export interface BackendCallOptions {
  timeoutMs?: number
}

export interface Backend {
  /** Calls `service.method(...params)`; rejects with the service's error (ideally carrying an SVC_ERR_… `code`). */
  call(service: string, method: string, params: unknown[], options?: BackendCallOptions): Promise<unknown>
  /** The graph as the manager sees it, for /healthz and /metrics. */
  services(): Promise<ServiceSnapshot[]>
}

export interface GatewayLogger {
  debug(...args: unknown[]): void
  info(...args: unknown[]): void
  warn(...args: unknown[]): void
  error(...args: unknown[]): void
}

const noop = (): void => {}

// Library default: stay quiet except for what an operator must see.
export const defaultLogger: GatewayLogger = {
  debug: noop,
  info: noop,
  warn: (...args) => console.warn('[gateway]', ...args),
  error: (...args) => console.error('[gateway]', ...args),
}
