// What one control client may cost the manager, whatever it sends or fails to read. The defaults are what
// docs/cli.md states; tests pass smaller ones.

export interface ControlLimits {
  /** A request line longer than this (bytes, newline excluded) is refused and the client disconnected. */
  maxLineBytes: number
  /** A line must be complete this long after its first byte arrived; else the client is disconnected. */
  partialLineTimeoutMs: number
  /** Once this much is queued for a client, log lines for it are dropped and counted, until it catches up. */
  logHighWaterBytes: number
  /** Once this much is queued for a client, it is disconnected: answers and state changes are never dropped. */
  maxQueuedBytes: number
  /** Requests of one client being answered at once; past it, the manager reads no more of its lines until one is. */
  maxInFlight: number
}

export const CONTROL_LIMITS: Readonly<ControlLimits> = {
  maxLineBytes: 1024 * 1024,
  partialLineTimeoutMs: 10_000,
  logHighWaterBytes: 1024 * 1024,
  maxQueuedBytes: 8 * 1024 * 1024,
  maxInFlight: 64,
}
