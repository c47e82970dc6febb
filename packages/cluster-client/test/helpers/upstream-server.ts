// A tiny real "upstream" (registry / config server) on 127.0.0.1:0 speaking newline-delimited JSON, so tests
// can count the connections and subscriptions that actually reach it.
//
//   client -> server  {op:'call', id, method, args} | {op:'sub', topic} | {op:'unsub', topic} | {op:'pub', topic, value}
//   server -> client  {op:'result', id, value} | {op:'error', id, message, code} | {op:'data', topic, value}
//
// Methods: echo(v) -> v, whoami() -> {conn}, hang() -> never answers, fail(msg) -> error E_UPSTREAM.
// A subscriber to a topic that already has a value gets it at once (config-server semantics).

import { EventEmitter } from 'node:events'
import net from 'node:net'

export interface UpstreamCall {
  conn: number
  method: string
  args: unknown[]
}

export class UpstreamServer extends EventEmitter {
  readonly connections: number[] = []
  readonly live = new Set<number>()
  /** Every subscribe that reached the server, in order. */
  readonly subscribes: { conn: number; topic: string }[] = []
  readonly unsubscribes: { conn: number; topic: string }[] = []
  readonly publishes: { conn: number; topic: string; value: unknown }[] = []
  readonly calls: UpstreamCall[] = []
  private readonly values = new Map<string, unknown>()
  private readonly topicSubs = new Map<string, Set<net.Socket>>()
  private readonly sockets = new Set<net.Socket>()
  private nextConn = 1
  private server = net.createServer((s) => this.onSocket(s))
  port = 0

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve))
    this.port = (this.server.address() as net.AddressInfo).port
    return this
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  /** Sets a topic's value and sends it to every subscriber. */
  push(topic: string, value: unknown): void {
    this.values.set(topic, value)
    for (const s of this.topicSubs.get(topic) ?? []) this.write(s, { op: 'data', topic, value })
  }

  subscribesOn(conn: number): string[] {
    return this.subscribes.filter((s) => s.conn === conn).map((s) => s.topic)
  }

  /** Resolves with the first past-or-future event `name` whose payload satisfies `pred`. */
  waitFor<T>(name: 'connection' | 'disconnect' | 'sub' | 'pub' | 'call' | 'unsub', pred: (x: T) => boolean, past: T[] = []): Promise<T> {
    const hit = past.find(pred)
    if (hit) return Promise.resolve(hit)
    return new Promise((resolve) => {
      const on = (x: T) => {
        if (!pred(x)) return
        this.off(name, on)
        resolve(x)
      }
      this.on(name, on)
    })
  }

  private onSocket(socket: net.Socket): void {
    const conn = this.nextConn++
    this.connections.push(conn)
    this.live.add(conn)
    this.sockets.add(socket)
    this.emit('connection', conn)
    let buf = ''
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => {
      buf += chunk
      let nl: number
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl)
        buf = buf.slice(nl + 1)
        this.onMessage(socket, conn, JSON.parse(line))
      }
    })
    socket.on('error', () => {})
    socket.on('close', () => {
      this.live.delete(conn)
      this.sockets.delete(socket)
      for (const subs of this.topicSubs.values()) subs.delete(socket)
      this.emit('disconnect', conn)
    })
  }

  private onMessage(socket: net.Socket, conn: number, msg: any): void {
    switch (msg.op) {
      case 'call': {
        const call: UpstreamCall = { conn, method: msg.method, args: msg.args }
        this.calls.push(call)
        this.emit('call', call)
        if (msg.method === 'echo') this.write(socket, { op: 'result', id: msg.id, value: msg.args[0] })
        else if (msg.method === 'whoami') this.write(socket, { op: 'result', id: msg.id, value: { conn } })
        else if (msg.method === 'fail') this.write(socket, { op: 'error', id: msg.id, message: String(msg.args[0]), code: 'E_UPSTREAM' })
        else if (msg.method !== 'hang') this.write(socket, { op: 'error', id: msg.id, message: `no method ${msg.method}`, code: 'E_NOMETHOD' })
        return
      }
      case 'sub': {
        this.subscribes.push({ conn, topic: msg.topic })
        let subs = this.topicSubs.get(msg.topic)
        if (!subs) this.topicSubs.set(msg.topic, (subs = new Set()))
        subs.add(socket)
        this.emit('sub', { conn, topic: msg.topic })
        if (this.values.has(msg.topic)) this.write(socket, { op: 'data', topic: msg.topic, value: this.values.get(msg.topic) })
        return
      }
      case 'unsub':
        this.unsubscribes.push({ conn, topic: msg.topic })
        this.topicSubs.get(msg.topic)?.delete(socket)
        this.emit('unsub', { conn, topic: msg.topic })
        return
      case 'pub':
        this.publishes.push({ conn, topic: msg.topic, value: msg.value })
        this.emit('pub', { conn, topic: msg.topic, value: msg.value })
        return
    }
  }

  private write(socket: net.Socket, msg: unknown): void {
    if (!socket.destroyed) socket.write(JSON.stringify(msg) + '\n')
  }
}
