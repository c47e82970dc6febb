// Files the manager keeps in its state directory (.svc/ by default).

import { join } from 'node:path'
import { cliError } from '../errors.js'
import { SOCKET_NAME } from './protocol.js'

// sockaddr_un.sun_path is 108 bytes on Linux (104 on macOS), terminator included.
const MAX_SOCKET_PATH = 103

export interface StatePaths {
  stateDir: string
  socket: string
  /** Holds the pid of the manager that owns the project: one manager per project. */
  lock: string
  /** stdout/stderr of a manager started with `svc up --detach`. */
  daemonLog: string
}

export function statePaths(stateDir: string): StatePaths {
  const socket = join(stateDir, SOCKET_NAME)
  if (Buffer.byteLength(socket) > MAX_SOCKET_PATH) {
    throw cliError('SVC_ERR_CLI_SOCKET_PATH', `The control socket path is too long for a Unix socket (${Buffer.byteLength(socket)} bytes): ${socket}.`, {
      hint: 'Set a shorter stateDir in the manifest, e.g. stateDir: "/tmp/my-project-svc".',
    })
  }
  return { stateDir, socket, lock: join(stateDir, 'manager.pid'), daemonLog: join(stateDir, 'daemon.log') }
}
