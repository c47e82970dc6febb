// What one browser (or any HTTP client) may cost the dashboard, whatever it sends or fails to read. The
// defaults are what docs/dashboard.md states; tests pass smaller ones.

export interface DashboardLimits {
  /** A request head (request line and headers) larger than this is refused with 431. */
  maxHeaderBytes: number
  /** A request must have arrived whole this long after its first byte; else 408 and the connection closes. */
  requestTimeoutMs: number
  /** Once this much is queued for a page's log stream, its log lines are dropped and counted until it catches up. */
  logHighWaterBytes: number
  /** Once this much is queued for a stream, it is disconnected (the page's EventSource reconnects to a fresh snapshot). */
  maxQueuedBytes: number
}

export const DASHBOARD_LIMITS: Readonly<DashboardLimits> = {
  maxHeaderBytes: 16 * 1024,
  requestTimeoutMs: 10_000,
  logHighWaterBytes: 1024 * 1024,
  maxQueuedBytes: 4 * 1024 * 1024,
}
