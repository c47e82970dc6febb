// Serving the dashboard from the CLI (`svc up --ui`, `svc ui`): the port option, the start-up failure as a
// CLI error, and the one line that prints the URL (the token is in it, and nowhere else).

import { DashboardError, startDashboard, type Dashboard, type DashboardSource } from '@services-cluster/dashboard'
import { InvalidArgumentError } from 'commander'
import { cliError } from '../errors.js'

/** commander parser of a port: 0 (any free port) to 65535. */
export function portOption(value: string): number {
  const port = Number(value)
  if (!/^\d+$/.test(value) || port > 65_535) {
    throw new InvalidArgumentError(`expected a port number from 0 to 65535 (0: any free port), not "${value}". Put service names before --ui, or write --ui=PORT.`)
  }
  return port
}

export async function serveDashboard(source: DashboardSource, port: number, onClientDropped?: (reason: string) => void): Promise<Dashboard> {
  try {
    return await startDashboard({ source, port, ...(onClientDropped ? { onClientDropped } : {}) })
  } catch (error) {
    if (error instanceof DashboardError) {
      throw cliError('SVC_ERR_CLI_DASHBOARD', error.message, { causeCode: error.code, hint: error.hint, cause: error })
    }
    throw error
  }
}

export function dashboardLine(url: string): string {
  return `svc: dashboard ${url}`
}
