// A payload the manager passes between services as the bytes it arrived in, never parsing it: a relayed call's
// arguments and result, an event's payload. Decoded (once) only where the manager itself needs the value.

import { decodeBody, type BodyCodec } from './body-codec.js'

export class RawBody {
  #value: unknown
  #decoded = false

  constructor(
    readonly bytes: Buffer,
    readonly codec: BodyCodec = 'json',
  ) {}

  get value(): unknown {
    if (!this.#decoded) {
      this.#value = decodeBody(this.bytes, this.codec)
      this.#decoded = true
    }
    return this.#value
  }

  /** Anything that serialises it another way (a control-socket answer, an in-memory port) gets the value. */
  toJSON(): unknown {
    return this.value
  }
}

/** The value itself, whether it is still the bytes it arrived in or not. */
export function materialize<T>(value: T | RawBody): T {
  return value instanceof RawBody ? (value.value as T) : value
}
