// A payload the manager passes between services as the bytes it arrived in, never parsing it: a relayed call's
// arguments and result, an event's payload. Parsed (once) only where the manager itself needs the value.

export class RawJson {
  #value: unknown
  #parsed = false

  constructor(readonly bytes: Buffer) {}

  get value(): unknown {
    if (!this.#parsed) {
      this.#value = JSON.parse(this.bytes.toString('utf8'))
      this.#parsed = true
    }
    return this.#value
  }

  /** Anything that serialises it another way (a control-socket answer, an in-memory port) gets the value. */
  toJSON(): unknown {
    return this.value
  }
}

/** The value itself, whether it is still the bytes it arrived in or not. */
export function materialize<T>(value: T | RawJson): T {
  return value instanceof RawJson ? (value.value as T) : value
}
