// A readiness or liveness probe as checked by readProbe: what to try, and when.

/** What one attempt tries. A log probe is not polled: it watches the service's output lines. */
export type ProbeTarget =
  | { kind: 'http'; url: string }
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'exec'; argv: [string, ...string[]] }
  // The source of the regular expression, not a RegExp: resolved services cross process boundaries as JSON.
  | { kind: 'log'; pattern: string }

export interface ProbeTimingResolved {
  intervalMs: number
  timeoutMs: number
  startGraceMs: number
}

export type ResolvedProbe = ProbeTarget & ProbeTimingResolved

/** A probe that one attempt can answer (every kind but log): what checkOnce and health checks run. */
export type PolledProbe = Exclude<ResolvedProbe, { kind: 'log' }>

export type ProbeKind = ResolvedProbe['kind']

export const PROBE_KINDS: readonly ProbeKind[] = ['http', 'tcp', 'exec', 'log']

// Readiness gates the start of dependents, so it is polled often: a refused loopback connect or a GET costs well
// under a millisecond, and detection lags the real moment by about half the interval (bench/readiness.mjs).
export const DEFAULT_INTERVAL_MS = 250
// Long enough for an exec probe (pg_isready, a Node script on a loaded machine), short enough that a hung attempt
// does not hide for long that the next one would succeed. The service's start timeout bounds the whole wait.
export const DEFAULT_TIMEOUT_MS = 2_000
export const DEFAULT_START_GRACE_MS = 0

/** tcp probes given a bare port connect here: the service's own machine, over IPv4 as most servers bind. */
export const DEFAULT_TCP_HOST = '127.0.0.1'
