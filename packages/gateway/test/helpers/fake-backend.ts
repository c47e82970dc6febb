// In-process Backend twin: methods are plain functions keyed "service.method".

import type { ServiceSnapshot } from '@services-cluster/core/remote'
import type { Backend, BackendCallOptions } from '../../src/index.js'

export type Handler = (...args: any[]) => unknown

export interface RecordedCall {
  service: string
  method: string
  params: unknown[]
  options: BackendCallOptions | undefined
}

export const coded = (code: string, message: string, extra: Record<string, unknown> = {}): Error =>
  Object.assign(new Error(message), { code }, extra)

export function snapshot(name: string, over: Partial<ServiceSnapshot> = {}): ServiceSnapshot {
  return {
    name,
    state: 'running',
    display: 'running',
    pid: 1000,
    sparePid: null,
    directSocket: null,
    dependsOn: [],
    conditions: {},
    kind: 'node',
    command: null,
    oneshot: false,
    waitingFor: null,
    restarts: 0,
    startedAt: 1,
    lastExit: null,
    usage: { at: 1, cpu: 1.5, rss: 50_000_000 },
    calls: { count: 0, errors: 0, totalMs: 0 },
    critical: false,
    parent: null,
    desiredInstances: 1,
    instances: [],
    listen: null,
    ...over,
  }
}

export const bestNode = { id: 'btc-1', type: 'btc', url: 'http://127.0.0.1:18332', height: 812345 }

export class FakeBackend implements Backend {
  readonly calls: RecordedCall[] = []
  handlers: Record<string, Handler>
  snapshots: ServiceSnapshot[] | (() => ServiceSnapshot[]) = [snapshot('checker'), snapshot('gateway')]
  #waiters: Array<{ n: number; resolve: () => void }> = []

  constructor(handlers: Record<string, Handler> = {}) {
    this.handlers = {
      'checker.getBestNode': () => bestNode,
      'checker.echo': (...args: unknown[]) => args,
      ...handlers,
    }
  }

  call(service: string, method: string, params: unknown[], options?: BackendCallOptions): Promise<unknown> {
    this.calls.push({ service, method, params, options })
    for (const w of this.#waiters.filter((w) => this.calls.length >= w.n)) w.resolve()
    const fn = this.handlers[`${service}.${method}`]
    if (!fn) return Promise.reject(coded('SVC_ERR_UNKNOWN_METHOD', `Service "${service}" has no method "${method}"`))
    return Promise.resolve().then(() => fn(...params))
  }

  async services(): Promise<ServiceSnapshot[]> {
    return typeof this.snapshots === 'function' ? this.snapshots() : this.snapshots
  }

  /** Resolves once at least n calls reached the backend (for notifications, which get no reply). */
  waitForCalls(n: number): Promise<void> {
    if (this.calls.length >= n) return Promise.resolve()
    return new Promise((resolve) => this.#waiters.push({ n, resolve }))
  }
}

export function captureLog(): { lines: Array<[level: string, text: string]>; log: import('../../src/index.js').GatewayLogger } {
  const lines: Array<[string, string]> = []
  const at = (level: string) => (...args: unknown[]) => void lines.push([level, args.map(String).join(' ')])
  return { lines, log: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } }
}
