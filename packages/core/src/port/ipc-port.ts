// A ConnectionPort over Node's child-process IPC channel (either end).

import type { ChildProcess } from 'node:child_process'
import { ConnectionPort } from './connection-port.js'

type IpcEnd = Pick<ChildProcess, 'send' | 'on' | 'off' | 'disconnect' | 'connected'>

export class IpcPort<In, Out> extends ConnectionPort<In, Out> {
  #end: IpcEnd
  #closed = false

  constructor(end: IpcEnd | NodeJS.Process) {
    super()
    this.#end = end as IpcEnd
    this.#end.on('message', (message: unknown) => this.emit('message', message as In))
    this.#end.on('disconnect', () => this.#markClosed())
  }

  get closed(): boolean {
    return this.#closed
  }

  send(message: Out): boolean {
    if (this.#closed || !this.#end.connected) return false
    try {
      // The callback swallows ERR_IPC_CHANNEL_CLOSED raised when the other end died mid-send.
      this.#end.send(message as never, undefined, undefined, () => {})
      return true
    } catch (error) {
      // A closed channel means "not delivered"; anything else (a BigInt, a cycle) is the caller's bug to hear about.
      if ((error as { code?: string }).code === 'ERR_IPC_CHANNEL_CLOSED' || !this.#end.connected) return false
      throw error
    }
  }

  close(): void {
    if (this.#closed) return
    if (this.#end.connected) this.#end.disconnect()
    this.#markClosed()
  }

  #markClosed(): void {
    if (this.#closed) return
    this.#closed = true
    this.emit('close')
  }
}
