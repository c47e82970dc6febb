// The listening side of port competition: one server per (process, port), shared by every channel
// (client name) this process leads on that port. It answers the handshake, then hands each connection
// to the leader of the channel the follower registers for.

import net from 'node:net'
import { ClusterClientError, ErrorCodes, closedError } from './errors.js'
import type { ClusterLogger } from './options.js'
import { trace } from './options.js'
import { Connection } from './protocol/connection.js'
import { HANDSHAKE_MAGIC, PROTOCOL_VERSION, type Packet } from './protocol/packet.js'

/** Always the literal: `localhost` may resolve to both ::1 and 127.0.0.1, letting two processes "win". */
export const LOOPBACK = '127.0.0.1'
/** A connection that has not registered a channel by then is dropped (port scanners, stuck peers). */
const REGISTER_DEADLINE_MS = 10_000

export interface ChannelLeader {
  /** Takes over a registered follower connection. */
  attach(conn: Connection): void
}

export interface PortServerOptions {
  maxFrameSize: number
  logger: ClusterLogger
}

const servers = new Map<number, PortServer>()
const listenAttempts = new Map<number, Promise<void>>()

export type Claim = { won: true; server: PortServer; leader: ChannelLeader } | { won: false }

/**
 * Becomes leader of `name` on `port` if this process can: either it already serves the port and nobody here
 * leads `name` yet, or it wins the listen. `createLeader` runs synchronously once the claim is certain, so no
 * follower can register before its leader exists.
 */
export async function claimPort(
  port: number,
  name: string,
  options: PortServerOptions,
  createLeader: (server: PortServer) => ChannelLeader,
): Promise<Claim> {
  if (!servers.has(port)) {
    let attempt = listenAttempts.get(port)
    if (!attempt) {
      attempt = listen(port, options).finally(() => listenAttempts.delete(port))
      listenAttempts.set(port, attempt)
    }
    await attempt
  }
  const server = servers.get(port)
  if (!server || server.closing || server.hasChannel(name)) return { won: false }
  const leader = createLeader(server)
  server.addChannel(name, leader)
  return { won: true, server, leader }
}

function listen(port: number, options: PortServerOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    const onError = (err: NodeJS.ErrnoException) => {
      srv.removeListener('listening', onListening)
      if (err.code === 'EADDRINUSE') return resolve()
      reject(
        new ClusterClientError(ErrorCodes.LISTEN_FAILED, `Cannot listen on ${LOOPBACK}:${port}: ${err.message}`, {
          port,
          cause: err,
        }),
      )
    }
    const onListening = () => {
      srv.removeListener('error', onError)
      servers.set(port, new PortServer(srv, port, options))
      resolve()
    }
    srv.once('error', onError)
    srv.once('listening', onListening)
    // exclusive: in a `cluster` worker a shared handle would let every worker "win" the same port.
    srv.listen({ port, host: LOOPBACK, exclusive: true })
  })
}

export class PortServer {
  private readonly channels = new Map<string, ChannelLeader>()
  private readonly conns = new Set<Connection>()
  private closingFlag = false

  constructor(
    private readonly server: net.Server,
    readonly port: number,
    private readonly options: PortServerOptions,
  ) {
    server.on('connection', (socket) => this.onSocket(socket))
    server.on('error', (err) => options.logger.error(`election port ${port} server error: ${err.message}`))
    trace('port %d: listening, pid %d', port, process.pid)
  }

  get closing(): boolean {
    return this.closingFlag
  }

  hasChannel(name: string): boolean {
    return this.channels.has(name)
  }

  addChannel(name: string, leader: ChannelLeader): void {
    this.channels.set(name, leader)
  }

  /** The leader of `name` is gone; the port is let go once no channel is led here. */
  releaseChannel(name: string): Promise<void> {
    this.channels.delete(name)
    return this.channels.size === 0 ? this.close() : Promise.resolve()
  }

  close(): Promise<void> {
    if (this.closingFlag) return Promise.resolve()
    this.closingFlag = true
    if (servers.get(this.port) === this) servers.delete(this.port)
    trace('port %d: closing, pid %d', this.port, process.pid)
    return new Promise((resolve) => {
      // server.close() waits for every connection; followers learn of the loss by their socket closing.
      this.server.close(() => resolve())
      for (const conn of this.conns) conn.destroy()
    })
  }

  private onSocket(socket: net.Socket): void {
    if (this.closingFlag) {
      socket.destroy()
      return
    }
    const conn = new Connection(socket, {
      maxFrameSize: this.options.maxFrameSize,
      lostError: () => closedError(`port ${this.port}`),
    })
    this.conns.add(conn)
    const deadline = setTimeout(() => conn.destroy(), REGISTER_DEADLINE_MS)
    deadline.unref()
    conn.on('close', () => {
      clearTimeout(deadline)
      this.conns.delete(conn)
    })
    conn.on('frameError', (err) => {
      this.options.logger.error(`closing connection from ${conn.remote} on election port ${this.port}: [${err.code}] ${err.message}`)
    })
    let greeted = false
    const onRequest = (p: Packet) => {
      if (!greeted) {
        if (p.conn.type !== 'handshake' || p.conn.magic !== HANDSHAKE_MAGIC) {
          this.refuse(conn, `expected a cluster-client handshake, got "${p.conn.type}"`)
          return
        }
        greeted = true
        conn.respond(p, { type: 'handshake_res', magic: HANDSHAKE_MAGIC, version: PROTOCOL_VERSION, pid: process.pid })
        return
      }
      if (p.conn.type !== 'register_channel') {
        this.refuse(conn, `expected register_channel, got "${p.conn.type}"`)
        return
      }
      const leader = this.channels.get(p.conn.channel)
      if (!leader) {
        // The follower retries with backoff; the connection stays open for that.
        conn.respond(p, {
          type: 'register_channel_res',
          ok: false,
          code: ErrorCodes.NO_LEADER,
          message: `Process ${process.pid} holds election port ${this.port} but does not lead cluster client "${p.conn.channel}".`,
        })
        return
      }
      clearTimeout(deadline)
      conn.off('request', onRequest)
      conn.respond(p, { type: 'register_channel_res', ok: true })
      leader.attach(conn)
    }
    conn.on('request', onRequest)
  }

  private refuse(conn: Connection, why: string): void {
    this.options.logger.error(`closing connection from ${conn.remote} on election port ${this.port}: ${why}`)
    conn.destroy()
  }
}
