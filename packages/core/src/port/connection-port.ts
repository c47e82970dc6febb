// The one message interface both sides of a container use, whatever carries the bytes.

import { EventEmitter } from 'eventemitter3'

export interface PortEvents<In> {
  message: [message: In]
  close: []
}

export abstract class ConnectionPort<In, Out> extends EventEmitter<PortEvents<In>> {
  /** Sends one message; returns false when the port is closed; throws when the message cannot be serialised. */
  abstract send(message: Out): boolean
  abstract close(): void
  abstract readonly closed: boolean
}
