// The manager's private directory inside the state directory: the control socket, the run records, the lock. Every
// service runs with an empty folder mounted over it where the host allows (container/containment.ts), so a service
// can neither reach the control plane nor rewrite what the next manager will reap.

import { join } from 'node:path'

export function privateDir(stateDir: string): string {
  return join(stateDir, 'private')
}
