// A fake NOTIFY_SOCKET: notify-receiver.py listens on a real Unix datagram socket and reports each datagram, with
// the sender's pid as the kernel saw it, as one JSON line.

import { spawn, type ChildProcess } from 'node:child_process'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'notify-receiver.py')

export interface Datagram {
  /** The sender's pid (SCM_CREDENTIALS). */
  pid: number
  text: string
}

export class NotifyReceiver {
  readonly datagrams: Datagram[] = []
  readonly #child: ChildProcess
  readonly #waiters = new Set<() => void>()
  #ended = false

  private constructor(child: ChildProcess) {
    this.#child = child
  }

  /** Listens on `address` (`@name`: abstract namespace; else a path); resolves once it is bound. */
  static async listen(address: string): Promise<NotifyReceiver> {
    const child = spawn('python3', [SCRIPT, address], { stdio: ['ignore', 'pipe', 'inherit'] })
    const receiver = new NotifyReceiver(child)
    const lines = createInterface({ input: child.stdout! })
    const bound = new Promise<void>((resolve, reject) => {
      child.once('error', reject)
      child.once('exit', (code) => reject(new Error(`notify-receiver.py exited (${code}) before listening on ${address}`)))
      lines.on('line', (line) => {
        const message = JSON.parse(line) as Datagram | { listening: string }
        if ('listening' in message) return resolve()
        receiver.datagrams.push(message)
        for (const wake of receiver.#waiters) wake()
      })
    })
    child.on('exit', () => {
      receiver.#ended = true
      for (const wake of receiver.#waiters) wake()
    })
    await bound
    return receiver
  }

  /** The datagrams whose text has this KEY=value line. */
  with(line: string): Datagram[] {
    return this.datagrams.filter((d) => d.text.split('\n').includes(line))
  }

  /** Resolves once `predicate` holds, checked on every datagram. */
  until(predicate: (r: NotifyReceiver) => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`timed out waiting for: ${what}\n${this.#dump()}`)), timeoutMs)
      const done = (error?: Error) => {
        clearTimeout(timer)
        this.#waiters.delete(check)
        if (error) reject(error)
        else resolve()
      }
      const check = () => {
        if (predicate(this)) done()
        else if (this.#ended) done(new Error(`the receiver ended before: ${what}\n${this.#dump()}`))
      }
      this.#waiters.add(check)
      check()
    })
  }

  async close(): Promise<void> {
    if (this.#ended) return
    const exited = new Promise((resolve) => this.#child.once('exit', resolve))
    this.#child.kill('SIGTERM')
    await exited
  }

  #dump(): string {
    return `datagrams: ${JSON.stringify(this.datagrams.map((d) => d.text))}`
  }
}
