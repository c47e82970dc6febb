// Files the manager keeps in its state directory (.svc/ by default).

import { join } from 'node:path'
import { privateDir } from '@services-cluster/core'
import { cliError } from '../errors.js'
import { SOCKET_NAME } from './protocol.js'

// sockaddr_un.sun_path is 108 bytes on Linux (104 on macOS), terminator included.
const MAX_SOCKET_PATH = 103

export interface StatePaths {
  stateDir: string
  /** Holds everything below: hidden from services (core's privateDir). */
  privateDir: string
  socket: string
  /** Holds the pid of the manager that owns the project: one manager per project. */
  lock: string
  /** stdout/stderr of a manager started with `svc up --detach`. */
  daemonLog: string
}

// The socket, the lock and the daemon's log live in the manager's private folder, which services cannot see where
// the host contains them (docs/supervision.md, "Threat model").
export function statePaths(stateDir: string): StatePaths {
  const dir = privateDir(stateDir)
  const socket = join(dir, SOCKET_NAME)
  if (Buffer.byteLength(socket) > MAX_SOCKET_PATH) {
    throw cliError('SVC_ERR_CLI_SOCKET_PATH', `The control socket path is too long for a Unix socket (${Buffer.byteLength(socket)} bytes): ${socket}.`, {
      hint: 'Set a shorter stateDir in the manifest, e.g. stateDir: "/tmp/my-project-svc".',
    })
  }
  return { stateDir, privateDir: dir, socket, lock: join(dir, 'manager.pid'), daemonLog: join(dir, 'daemon.log') }
}
