// The program every service process runs: boot, say remoteReady, then import the service module when the host
// sends it. Compiled to dist/remote/runner.js (bundled into runner.bundle.cjs) and spawned by the host.

import { fstatSync } from 'node:fs'
import { Socket } from 'node:net'
import { fileURLToPath } from 'node:url'
import { FramePort } from '../port/frame-port.js'
import type { HostMessage, RemoteMessage } from '../protocol/messages.js'
import { createModuleLoader, LOADER_ENV } from './module-loader.js'
import { RemoteService } from './remote-service.js'

// fd 3 is the manager's pipe (a socket pair). Without it this was not started by a manager.
const CHANNEL_FD = 3
if (process.env.SVC_SERVICE === undefined || !isSocket(CHANNEL_FD)) {
  process.stderr.write('runner.js is started by the services-cluster manager, not by hand.\n')
  process.exit(2)
}

// Ready before the host sends our code, so a pre-spawned container only has to import it.
const native = process.env[LOADER_ENV] === 'native'
const loadModule = createModuleLoader(native ? 'native' : 'jiti', process.env.SVC_JITI_FS_CACHE !== '0')
let loading = false
const load = (entry: string): Promise<unknown> => {
  loading = true
  return loadModule(entry)
}

let exiting = false
function exitAfterFlush(code: number): void {
  if (exiting) return
  exiting = true
  // Cutting the process short would drop piped output and the last messages to the manager (its final state, a
  // large result still queued on the pipe): let all three drain first.
  let pending = 3
  const done = () => {
    if (--pending === 0) process.exit(code)
  }
  process.stdout.write('', done)
  process.stderr.write('', done)
  port.flush() // the frames of this tick (the final state) go ahead of the empty write that says the pipe drained
  channel.write('', done) // called back with an error if the pipe is already gone: nothing left to drain
}

const channel = new Socket({ fd: CHANNEL_FD, readable: true, writable: true })
const port = new FramePort<HostMessage, RemoteMessage>(channel, { rawBodies: false })
const remote = new RemoteService({
  port,
  load,
  exit: exitAfterFlush,
})

// The manager writes a reported exception, with its stack, into the service's log: writing it to stderr as well would
// show it twice. Only when the channel is gone is stderr the one place left.
function crash(kind: 'uncaughtException' | 'unhandledRejection', error: unknown): void {
  if (remote.reportException(kind, error)) return exitAfterFlush(1)
  process.stderr.write(`${kind}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`, () =>
    exitAfterFlush(1),
  )
}
process.on('uncaughtException', (error) => crash('uncaughtException', error))
process.on('unhandledRejection', (reason) => crash('unhandledRejection', reason))

remote.ready()
// Every compiled service imports '@services-cluster/core/remote': load it now, while the container waits for its
// code (which also sets up Node's ESM loader), so that a pre-spawned container or a warm spare has only the service
// module itself left to load when it starts. The path is this file's sibling in dist/remote, bundled or not.
// Not before remoteReady has gone out (frames leave at the tick's end), and not once the service's own code is
// loading: on Node 20, require() of an ES module that an unfinished import() (the top-level-await fallback) is still
// loading fails inside Node.
if (native) {
  setImmediate(() => {
    if (!loading) load(fileURLToPath(new URL('./index.js', import.meta.url))).catch(() => {})
  })
}

function isSocket(fd: number): boolean {
  try {
    return fstatSync(fd).isSocket()
  } catch {
    return false
  }
}
