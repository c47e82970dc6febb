// Errors the dashboard raises itself, with stable codes (the CLI prints code, message and hint).

export type DashboardFailureCode = 'SVC_ERR_DASHBOARD_NOT_BUILT' | 'SVC_ERR_DASHBOARD_LISTEN'

export class DashboardError extends Error {
  override name = 'DashboardError'

  constructor(
    readonly code: DashboardFailureCode,
    message: string,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}
