// The manager's control socket: JSON-RPC 2.0 over newline-delimited JSON on a Unix socket (mode 0600).

import { serializeError, ServiceError, type LogLine, type ServicesManager, type StateChange } from '@services-cluster/core'
import { watchServiceChanges, watchUsage } from '@services-cluster/dashboard'
import { chmodSync } from 'node:fs'
import { createServer, type Server, type Socket } from 'node:net'
import { debuglog } from 'node:util'
import { acquireLock, removeQuietly, type ManagerLock } from './lock.js'
import { CONTROL_LIMITS, type ControlLimits } from './limits.js'
import { onLines, sendLine, type LineProblem, type LineReader } from './lines.js'
import { isMethod, methods, RpcError, type Subscription } from './methods.js'
import { Outbox } from './outbox.js'
import { statePaths } from './paths.js'
import type { CliErrorCode } from '../errors.js'
import {
  CONTROL_PROTOCOL_VERSION,
  RPC,
  TOPICS,
  type ControlNotifications,
  type ManagerInfo,
  type NotificationName,
  type RpcFailure,
  type RpcNotification,
  type RpcRequest,
  type Topic,
} from './protocol.js'

const trace = debuglog('svc:control')

export interface ControlServerOptions {
  manager: ServicesManager
  /** The manifest file, reported to clients. */
  configFile: string
  /** Called by the `down` method: close every service, return the names in the order they closed. */
  down(host?: string): Promise<string[]>
  /** What one client may cost the manager (docs/cli.md); the defaults are CONTROL_LIMITS. */
  limits?: Partial<ControlLimits>
  /** Told when a client is disconnected for breaking a limit (`svc up` prints it as a status line). */
  onClientDropped?(reason: string): void
}

export interface ControlServer {
  readonly socketPath: string
  readonly info: ManagerInfo
  /** Tells clients the manager is going away, ends their connections, removes the socket and the lock. */
  close(reason: string): Promise<void>
}

interface Connection {
  socket: Socket
  outbox: Outbox
  reader: LineReader
  /** Requests read and not yet answered. */
  inFlight: number
  subscription: Subscription
}

// After a refusal the answer gets this long to reach a client that does not read, then the socket goes.
const REFUSAL_GRACE_MS = 1_000

/** Takes the project's lock (one manager per project), cleans a stale socket, and listens. */
export async function startControlServer(options: ControlServerOptions): Promise<ControlServer> {
  const { manager } = options
  const paths = statePaths(manager.manifest.stateDir)
  const lock = await acquireLock(paths, manager.manifest.cwd)
  const info: ManagerInfo = {
    protocol: CONTROL_PROTOCOL_VERSION,
    pid: process.pid,
    configFile: options.configFile,
    cwd: manager.manifest.cwd,
    stateDir: paths.stateDir,
    socketPath: paths.socket,
    startedAt: Date.now(),
    services: manager.manifest.graph.names,
  }
  const limits: ControlLimits = { ...CONTROL_LIMITS, ...options.limits }
  const connections = new Set<Connection>()
  // A client too far behind gets one last line that says why, after what is queued for it: it arrives if the client
  // catches up within the grace, else it goes with the rest when the socket is destroyed.
  const cutOff = (socket: Socket, reason: string) => {
    trace('cutting off a client: %s', reason)
    options.onClientDropped?.(`a control client was disconnected: ${reason}`)
    const closing = { jsonrpc: '2.0', method: 'closing', params: { reason: `this client read too slowly: ${reason}`, cutOff: true } } satisfies RpcNotification<'closing'>
    socket.pause()
    socket.end(JSON.stringify(closing) + '\n')
    const force = setTimeout(() => socket.destroy(), REFUSAL_GRACE_MS)
    force.unref()
    socket.once('close', () => clearTimeout(force))
  }
  const server = createServer((socket) => {
    const outbox = new Outbox(socket, limits, (reason) => cutOff(socket, reason))
    const connection: Connection = { socket, outbox, reader: { pause() {}, resume() {} }, inFlight: 0, subscription: { topics: new Set(), services: null } }
    connections.add(connection)
    socket.on('close', () => {
      connections.delete(connection)
      connection.subscription.elsewhere?.()
    })
    socket.on('error', (error) => trace('client error %s', error.message)) // a client that vanished: forget it
    connection.reader = onLines(socket, (line) => void answer(connection, line), {
      ...limits,
      exceeded: (problem) => refuse(connection, problem),
    })
  })

  // A client that sends requests faster than they are answered waits: its lines stay in the socket.
  const answer = async (connection: Connection, line: string) => {
    if (++connection.inFlight >= limits.maxInFlight) connection.reader.pause()
    try {
      await handle(connection, line)
    } finally {
      if (--connection.inFlight < limits.maxInFlight) connection.reader.resume()
    }
  }

  // A client that broke a line bound gets one coded answer, then the connection ends.
  const refuse = ({ socket, outbox }: Connection, problem: LineProblem) => {
    const [code, message]: [CliErrorCode, string] =
      problem.kind === 'too-long'
        ? ['SVC_ERR_CLI_LINE_TOO_LONG', `A request line may be at most ${limits.maxLineBytes} bytes; this one reached ${problem.bytes}. Send one JSON object per line.`]
        : ['SVC_ERR_CLI_LINE_TIMEOUT', `A request line must end with a newline within ${limits.partialLineTimeoutMs} ms of its first byte; ${problem.bytes} bytes came and no newline.`]
    options.onClientDropped?.(`a control client was disconnected: ${message}`)
    outbox.send({ jsonrpc: '2.0', id: null, error: { code: RPC.invalidRequest, message, data: { name: 'CliError', code, message } } } satisfies RpcFailure)
    socket.pause() // read nothing more from it: what it still sends waits in the kernel until it is dropped
    socket.end()
    const force = setTimeout(() => socket.destroy(), REFUSAL_GRACE_MS)
    force.unref()
    socket.once('close', () => clearTimeout(force))
  }

  const handle = async (connection: Connection, line: string) => {
    let request: RpcRequest
    try {
      request = JSON.parse(line) as RpcRequest
    } catch {
      connection.outbox.send(failure(null, RPC.parseError, 'Parse error: each line must be one JSON object.'))
      return
    }
    if (!request || typeof request !== 'object' || request.jsonrpc !== '2.0' || typeof request.method !== 'string') {
      connection.outbox.send(failure(idOf(request), RPC.invalidRequest, 'Invalid request: expected {"jsonrpc":"2.0","id":…,"method":…}.'))
      return
    }
    const notification = !('id' in request)
    try {
      if (!isMethod(request.method)) throw new RpcError(RPC.methodNotFound, `Method not found: "${request.method}".`)
      const params = request.params ?? {}
      if (typeof params !== 'object' || params === null || Array.isArray(params)) {
        throw new RpcError(RPC.invalidParams, 'params must be an object.')
      }
      const context = { manager, info, subscription: connection.subscription, log: (line: LogLine) => connection.outbox.sendLog(line), down: options.down }
      const result = await methods[request.method](params as Record<string, unknown>, context)
      if (!notification) connection.outbox.send({ jsonrpc: '2.0', id: request.id, result: result ?? null })
    } catch (error) {
      trace('%s failed: %s', request.method, (error as Error).message)
      if (!notification) connection.outbox.send(errorResponse(request.id, error))
    }
  }

  const notify = <N extends NotificationName>(method: N, params: ControlNotifications[N], service?: string) => {
    const topic = (TOPICS as readonly string[]).includes(method) ? (method as Topic) : null
    for (const c of connections) {
      if (topic && !c.subscription.topics.has(topic)) continue
      if (topic && service && c.subscription.services && !c.subscription.services.has(service)) continue
      if (method === 'log') c.outbox.sendLog(params as LogLine)
      else c.outbox.send({ jsonrpc: '2.0', method, params })
    }
  }
  const onLog = (line: LogLine) => notify('log', line, line.service)
  const onState = (change: StateChange) => notify('state', change, change.service)
  manager.on('log', onLog)
  manager.on('state', onState)
  // A snapshot per change costs little, but only subscribers pay it.
  const listening = (topic: Topic) => [...connections].some((c) => c.subscription.topics.has(topic))
  const stopUpdates = watchServiceChanges(manager, (service, reason) => {
    if (listening('service')) notify('service', { snapshot: manager.service(service), reason }, service)
  })
  const stopUsage = watchUsage(manager, (service, sample) => {
    if (listening('usage')) notify('usage', { service, ...sample }, service)
  })

  try {
    await listen(server, paths.socket)
  } catch (error) {
    lock.release()
    manager.off('log', onLog)
    manager.off('state', onState)
    stopUpdates()
    stopUsage()
    throw error
  }

  let closing: Promise<void> | null = null
  return {
    socketPath: paths.socket,
    info,
    close(reason) {
      closing ??= shutdown(server, connections, paths.socket, lock, reason, () => {
        manager.off('log', onLog)
        manager.off('state', onState)
        stopUpdates()
        stopUsage()
      })
      return closing
    },
  }
}

function listen(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(path, () => {
      server.off('error', reject)
      chmodSync(path, 0o600) // only the owner may drive the manager
      resolve()
    })
  })
}

async function shutdown(server: Server, connections: Set<Connection>, socketPath: string, lock: ManagerLock, reason: string, detach: () => void) {
  detach()
  const closed = new Promise<void>((resolve) => server.close(() => resolve()))
  // Remove the socket and the lock before clients see their connection end: `svc down && svc up` must work.
  removeQuietly(socketPath)
  lock.release()
  for (const c of connections) {
    sendLine(c.socket, { jsonrpc: '2.0', method: 'closing', params: { reason } })
    c.socket.end()
  }
  const force = setTimeout(() => {
    for (const c of connections) c.socket.destroy()
  }, 1_000)
  await closed
  clearTimeout(force)
}

function idOf(value: unknown): RpcFailure['id'] {
  const id = (value as { id?: unknown } | null)?.id
  return typeof id === 'number' || typeof id === 'string' ? id : null
}

function failure(id: RpcFailure['id'], code: number, message: string): RpcFailure {
  return { jsonrpc: '2.0', id, error: { code, message } }
}

function errorResponse(id: RpcRequest['id'], error: unknown): RpcFailure {
  if (error instanceof RpcError) return failure(id, error.code, error.message)
  const data = serializeError(error)
  const code = error instanceof ServiceError || data.code ? RPC.serviceError : RPC.internalError
  return { jsonrpc: '2.0', id, error: { code, message: data.message, data } }
}
