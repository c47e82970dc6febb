// The upstream: a small pub/sub and key/value server on TCP (see feed-protocol.ts). It counts the client
// connections and subscriptions that actually reach it, which is what proves the cluster client shares one.
import net from 'node:net'
import { once } from 'node:events'
import { encode, lineReader, type ClientMessage, type FeedMessage } from './feed-protocol.ts'

export interface FeedStats {
  /** Connections open now. */
  live: number
  /** Connections ever accepted. */
  opened: number
  /** The open connections and the topics each one subscribes to. */
  connections: Array<{ id: number; topics: string[] }>
  publishes: number
  gets: number
}

export type FeedEvent =
  | { kind: 'open' | 'close'; conn: number }
  | { kind: 'subscribe' | 'unsubscribe'; conn: number; topic: string }
  | { kind: 'bad'; conn: number; line: string }

interface Connection {
  id: number
  socket: net.Socket
  topics: Set<string>
}

export class FeedServer {
  private readonly server = net.createServer((socket) => this.accept(socket))
  private readonly connections = new Map<number, Connection>()
  private readonly values = new Map<string, unknown>()
  private opened = 0
  private publishes = 0
  private gets = 0

  constructor(private readonly onEvent: (event: FeedEvent) => void = () => {}) {}

  async listen(port: number, host = '127.0.0.1'): Promise<{ host: string; port: number }> {
    this.server.listen(port, host)
    await once(this.server, 'listening')
    return { host, port: (this.server.address() as net.AddressInfo).port }
  }

  stats(): FeedStats {
    const connections = [...this.connections.values()].map((c) => ({ id: c.id, topics: [...c.topics].sort() }))
    return { live: connections.length, opened: this.opened, connections, publishes: this.publishes, gets: this.gets }
  }

  async close(): Promise<void> {
    for (const c of this.connections.values()) c.socket.destroy()
    if (this.server.listening) await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  private accept(socket: net.Socket): void {
    const conn: Connection = { id: ++this.opened, socket, topics: new Set() }
    this.connections.set(conn.id, conn)
    this.onEvent({ kind: 'open', conn: conn.id })
    socket.setEncoding('utf8')
    socket.on('data', lineReader((m) => this.receive(conn, m as ClientMessage), (line) => this.onEvent({ kind: 'bad', conn: conn.id, line })))
    socket.on('error', () => {}) // a client that vanishes is reported by 'close'
    socket.on('close', () => {
      this.connections.delete(conn.id)
      this.onEvent({ kind: 'close', conn: conn.id })
    })
  }

  private receive(conn: Connection, message: ClientMessage): void {
    switch (message.op) {
      case 'subscribe':
        conn.topics.add(message.topic)
        this.onEvent({ kind: 'subscribe', conn: conn.id, topic: message.topic })
        if (this.values.has(message.topic)) this.send(conn, { op: 'update', topic: message.topic, value: this.values.get(message.topic) })
        return
      case 'unsubscribe':
        conn.topics.delete(message.topic)
        this.onEvent({ kind: 'unsubscribe', conn: conn.id, topic: message.topic })
        return
      case 'publish':
        this.publishes++
        this.values.set(message.topic, message.value)
        for (const other of this.connections.values()) {
          if (other.topics.has(message.topic)) this.send(other, { op: 'update', topic: message.topic, value: message.value })
        }
        return
      case 'get':
        this.gets++
        this.send(conn, { op: 'value', id: message.id, value: this.values.get(message.key) ?? null })
        return
      default:
        message satisfies never
        this.send(conn, { op: 'error', message: `unknown op in ${JSON.stringify(message)}` })
    }
  }

  private send(conn: Connection, message: FeedMessage): void {
    if (!conn.socket.destroyed) conn.socket.write(encode(message))
  }
}
