// An in-memory DataClient for in-process tests: records what reached "upstream".

import type { Listener } from '../../src/index.js'

export class MemoryClient {
  static instances: MemoryClient[] = []
  readonly listeners = new Map<string, Listener>()
  readonly subscribeCalls: string[] = []
  readonly unSubscribeCalls: string[] = []
  readonly published: unknown[] = []
  readonly values = new Map<string, unknown>()
  closed = false

  constructor(readonly options: { tag: string; failReady?: boolean }) {
    MemoryClient.instances.push(this)
  }

  async ready(): Promise<void> {
    if (this.options.failReady) throw new Error('upstream refused the connection')
  }

  subscribe(info: { topic: string }, listener: Listener<string>): void {
    this.subscribeCalls.push(info.topic)
    this.listeners.set(info.topic, listener)
    if (this.values.has(info.topic)) listener(this.values.get(info.topic) as string)
  }

  unSubscribe(info: { topic: string }): void {
    this.unSubscribeCalls.push(info.topic)
    this.listeners.delete(info.topic)
  }

  publish(info: { topic: string; value: unknown }): void {
    this.published.push(info)
  }

  /** Test hook: the upstream sends a value. */
  emitTopic(topic: string, value: string): void {
    this.values.set(topic, value)
    this.listeners.get(topic)?.(value)
  }

  async echo<T>(value: T): Promise<T> {
    return value
  }

  async whoami(): Promise<{ tag: string; pid: number }> {
    return { tag: this.options.tag, pid: process.pid }
  }

  echoCallback(value: string, callback: (err: Error | null, value?: string) => void): void {
    setImmediate(() => callback(null, `cb:${value}`))
  }

  double(n: number): number {
    return n * 2
  }

  hang(): Promise<never> {
    return new Promise(() => {})
  }

  async fail(message: string): Promise<never> {
    throw Object.assign(new Error(message), { code: 'E_BAD', detail: { n: 1 } })
  }

  fire(value: string): void {
    this.published.push({ fired: value })
  }

  notDelegated(): string {
    return 'secret'
  }

  async close(): Promise<void> {
    this.closed = true
  }
}
