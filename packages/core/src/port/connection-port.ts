// The one message interface both sides of a container use, whatever carries the bytes.

// node:events, not eventemitter3: this file is loaded by every service process, and importing the CommonJS
// eventemitter3 from ESM costs ≈7 ms of start-up there.
import { EventEmitter } from 'node:events'

export interface PortEvents<In> {
  message: [message: In]
  close: []
}

export abstract class ConnectionPort<In, Out> extends EventEmitter<PortEvents<In>> {
  /** Sends one message; returns false when the port is closed; throws when the message cannot be serialised. */
  abstract send(message: Out): boolean
  abstract close(): void
  abstract readonly closed: boolean
  /** Why this end closed the channel, when the peer broke the protocol (bytes that are not frames); else null. */
  get violation(): string | null {
    return null
  }
  /** Bytes sent and not yet read by the peer, where a transport can tell (a socket's write queue); else 0. */
  get queuedBytes(): number {
    return 0
  }
}
