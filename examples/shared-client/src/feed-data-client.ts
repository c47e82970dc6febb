// The DataClient: one real TCP connection to the feed. Only the cluster client's leader constructs it, so in
// a manifest of many services that all use the feed, the feed sees one connection.
import net from 'node:net'
import { once } from 'node:events'
import { encode, lineReader, type ClientMessage, type FeedMessage } from './feed-protocol.ts'

export interface TopicInfo {
  topic: string
}

export interface Publication extends TopicInfo {
  value: unknown
}

export class FeedDataClient {
  private socket: net.Socket | undefined
  private nextId = 1
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>()
  private readonly listeners = new Map<string, (value: unknown) => void>()

  constructor(private readonly upstream: { host: string; port: number }) {}

  async ready(): Promise<void> {
    const socket = net.connect(this.upstream)
    this.socket = socket
    socket.setEncoding('utf8')
    socket.on('data', lineReader((m) => this.receive(m as FeedMessage), () => {}))
    socket.on('close', () => {
      for (const p of this.pending.values()) p.reject(new Error('the feed connection closed'))
      this.pending.clear()
    })
    await once(socket, 'connect') // rejects on 'error', e.g. the feed is not listening
  }

  // The cluster client calls this once per topic, however many services listen to it.
  subscribe(info: TopicInfo, listener: (value: unknown) => void): void {
    this.listeners.set(info.topic, listener)
    this.send({ op: 'subscribe', topic: info.topic })
  }

  unSubscribe(info: TopicInfo): void {
    this.listeners.delete(info.topic)
    this.send({ op: 'unsubscribe', topic: info.topic })
  }

  publish(info: Publication): void {
    this.send({ op: 'publish', topic: info.topic, value: info.value })
  }

  get(key: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const id = this.nextId++
      this.pending.set(id, { resolve, reject })
      this.send({ op: 'get', id, key })
    })
  }

  close(): void {
    this.socket?.end()
  }

  private receive(message: FeedMessage): void {
    switch (message.op) {
      case 'update':
        this.listeners.get(message.topic)?.(message.value)
        return
      case 'value':
        this.pending.get(message.id)?.resolve(message.value)
        this.pending.delete(message.id)
        return
      case 'error':
        if (message.id === undefined) return
        this.pending.get(message.id)?.reject(new Error(`feed: ${message.message}`))
        this.pending.delete(message.id)
        return
      default:
        message satisfies never
    }
  }

  private send(message: ClientMessage): void {
    if (!this.socket || this.socket.destroyed) throw new Error('FeedDataClient: not connected (ready() first)')
    this.socket.write(encode(message))
  }
}
