// A start that waits for the service's `ready` probe as well: begun at spawn (so a log probe sees every line), given
// up when the process exits or the start timeout passes — and then the start fails, saying what it waited for.

import { svcError } from '../errors.js'
import type { ResolvedService } from '../manifest/normalize.js'
import { describeProbe, waitUntilReady } from '../probes/index.js'
import type { ServiceContainer } from './service-container.js'

export interface Readiness {
  /** Resolves once the probe passed (at once without one); rejects with why it did not. */
  readonly ready: Promise<void>
  /** The start was abandoned: stop probing. */
  cancel(): void
}

/** What a service's start waits for beyond its process (shown while it is `starting`): a one-shot's exit, a probe. */
export function startWaitsFor(service: ResolvedService): string | null {
  if (service.oneshot) return 'exit 0'
  return service.ready ? describeProbe(service.ready) : null
}

export function watchReadiness(container: ServiceContainer, service: ResolvedService, exited: Promise<{ code: number | null; signal: string | null }>): Readiness {
  const probe = service.ready
  if (!probe) return { ready: Promise.resolve(), cancel: () => {} }
  const what = describeProbe(probe)
  const abort = new AbortController()
  let last = ''
  const timer = setTimeout(() => {
    abort.abort(svcError('SVC_ERR_NOT_READY', `Service "${service.name}" was not ready within ${service.startTimeoutMs} ms: ${what} never passed${last ? ` (last: ${last})` : ''}. Check the probe, or raise startTimeoutMs.`, {
      service: service.name,
      details: { probe: what },
    }))
  }, service.startTimeoutMs)
  void exited.then(({ code, signal }) => {
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`
    abort.abort(svcError('SVC_ERR_EXITED_DURING_START', `Service "${service.name}" ${how} before it was ready (waiting for ${what}). Its output says why.`, {
      service: service.name,
      details: { code, signal, probe: what },
    }))
  })
  const ready = waitUntilReady(probe, {
    signal: abort.signal,
    cwd: service.cwd,
    env: service.env,
    lines: (listener) => {
      const onLine = (_stream: 'stdout' | 'stderr', line: string) => listener(line)
      container.on('output', onLine)
      return () => container.off('output', onLine)
    },
    onAttempt: (error) => (last = error.message),
  }).finally(() => clearTimeout(timer))
  ready.catch(() => {}) // read by the start, which may be gone first
  return { ready, cancel: () => abort.abort(new Error('start abandoned')) }
}
