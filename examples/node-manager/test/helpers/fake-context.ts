// A stand-in for the framework's ServiceContext, so service modules can be started in-process.
// Only what these services use is real: config, env, log, signal, onClose.
import type { ServiceContext } from '@services-cluster/core/remote'

export interface FakeContext<Config> extends ServiceContext<Config> {
  lines: string[]
  /** Runs onClose hooks in reverse order and aborts the signal, as the runtime does. */
  close(): Promise<void>
}

export function fakeContext<Config>(name: string, config: Config, env: Record<string, string> = {}): FakeContext<Config> {
  const lines: string[] = []
  const hooks: Array<() => void | Promise<void>> = []
  const controller = new AbortController()
  const record = (level: string) => (...args: unknown[]) => lines.push(`${level} ${args.map(String).join(' ')}`)
  const unavailable = (what: string) => () => {
    throw new Error(`${what} is not available in the fake context`)
  }
  return {
    name,
    config,
    env,
    lines,
    log: { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') },
    signal: controller.signal,
    service: unavailable('service()'),
    call: unavailable('call()'),
    emit: unavailable('emit()'),
    on: unavailable('on()'),
    services: unavailable('services()'),
    spawnChild: unavailable('spawnChild()'),
    listen: unavailable('listen()'),
    onClose: (fn) => hooks.push(fn),
    async close() {
      controller.abort()
      for (const fn of hooks.splice(0).reverse()) await fn()
    },
  }
}
