// A lease on a NATS KV key: who runs a singleton now. Taken with `create` (only one host can create a key that is
// not there), kept by `update` against the revision it holds (compare-and-set), and gone when its holder stops
// writing for the bucket's TTL (JetStream removes the value). The revision is the fencing token: it only grows, and
// a holder whose update is refused knows at once that someone else has held the key since.
//
// A holder that is frozen (SIGSTOP, a VM pause, a long GC) cannot learn it lost until it runs again, so it does not
// wait to be told: it counts the lease as held only until ttlMs after it *sent* its last successful write (its own
// monotonic clock), and past that reports it lost on its own — before its first round trip after waking up.

import { EventEmitter } from 'eventemitter3'
import type { KV } from 'nats'

export interface LeaseEvents {
  /** The lease is no longer held: stop what it guarded, now. */
  lost: [reason: string]
}

export class Lease extends EventEmitter<LeaseEvents> {
  #token: number
  /** performance.now() until which the lease is surely ours: when the last good write was sent, plus the TTL. */
  #validUntil: number
  #timer: NodeJS.Timeout | undefined
  /** Fires when #validUntil passes without a good write: a write that hangs (NATS away) must not delay the loss. */
  #expiry: NodeJS.Timeout | undefined
  #ended = false

  private constructor(
    private readonly kv: KV,
    readonly key: string,
    readonly holder: string,
    private readonly ttlMs: number,
    token: number,
    sentAt: number,
  ) {
    super()
    this.#token = token
    this.#validUntil = sentAt
    this.#extend(sentAt)
    this.#schedule()
  }

  /** Takes the lease if no one holds it; null when someone does. */
  static async acquire(kv: KV, key: string, holder: string, ttlMs: number): Promise<Lease | null> {
    const sentAt = performance.now()
    try {
      const token = await kv.create(key, holder)
      return new Lease(kv, key, holder, ttlMs, token, sentAt)
    } catch (error) {
      if (isTaken(error)) return null
      throw error
    }
  }

  /** The fencing token: higher than any earlier holder's. */
  get token(): number {
    return this.#token
  }

  /** Whether the lease is still surely held, by this process's own clock. */
  get held(): boolean {
    return !this.#ended && performance.now() < this.#validUntil
  }

  /** Gives the lease up at once, so another host need not wait for the TTL. */
  async release(): Promise<void> {
    if (this.#ended) return
    this.#end()
    // Only if it is still ours: a delete against our revision.
    await this.kv.delete(this.key, { previousSeq: this.#token }).catch(() => undefined)
  }

  #schedule(): void {
    // Three writes per TTL: one lost or slow write does not lose the lease.
    this.#timer = setTimeout(() => void this.#renew(), Math.max(1, Math.floor(this.ttlMs / 3)))
  }

  async #renew(): Promise<void> {
    if (this.#ended) return
    if (!this.held) return this.#lose(`not renewed within ${this.ttlMs} ms (this process was frozen or cut off)`)
    const sentAt = performance.now()
    try {
      const token = await this.kv.update(this.key, this.holder, this.#token)
      if (this.#ended) return
      this.#token = token
      this.#extend(sentAt)
    } catch (error) {
      if (isTaken(error)) return this.#lose('another holder took it (the key changed since our last write)')
      // NATS unreachable for a moment: keep trying until our own clock says the lease is gone.
    }
    if (this.#ended) return
    if (!this.held) return this.#lose(`not renewed within ${this.ttlMs} ms (NATS unreachable)`)
    this.#schedule()
  }

  /** The lease is surely ours until TTL after `sentAt` (when the write that kept it was sent). */
  #extend(sentAt: number): void {
    this.#validUntil = sentAt + this.ttlMs
    this.#armExpiry()
  }

  #armExpiry(): void {
    clearTimeout(this.#expiry)
    // A timer may fire a fraction of a millisecond before performance.now() reaches its time: then it is armed again.
    this.#expiry = setTimeout(() => {
      if (this.held) this.#armExpiry()
      else this.#lose(`not renewed within ${this.ttlMs} ms (NATS unreachable, or this process was frozen)`)
    }, Math.max(0, Math.ceil(this.#validUntil - performance.now())))
  }

  #lose(reason: string): void {
    if (this.#ended) return
    this.#end()
    this.emit('lost', reason)
  }

  #end(): void {
    this.#ended = true
    clearTimeout(this.#timer)
    clearTimeout(this.#expiry)
  }
}

/** JetStream's refusal of a compare-and-set: the key exists (create) or is at another revision (update). */
function isTaken(error: unknown): boolean {
  const message = String((error as Error)?.message ?? '')
  return message.includes('wrong last sequence') || (error as { api_error?: { err_code?: number } })?.api_error?.err_code === 10071
}

/** What an instance holds of a slot's lease (cluster/placed-container.ts). */
export interface SlotLease {
  /** Whether the lease is still surely held, and this use has not let it go. */
  readonly held: boolean
  /** `listener` runs once if the lease is lost while this use holds it. */
  onLost(listener: (reason: string) => void): void
  /** Lets the lease go: released in NATS when no other instance of the slot here holds it. */
  release(): Promise<void>
}

/**
 * The leases this host holds, each shared by the instances of its slot here: the replacement of an instance (a reload
 * starts it before the old one closes) takes its predecessor's lease rather than wait for it, and the lease is
 * released once the last of them lets it go. Still never on two hosts: only this host's instances share it.
 */
export class HeldLeases {
  readonly #held = new Map<string, { lease: Lease; users: number }>()

  constructor(private readonly take: (key: string) => Promise<Lease | null>) {}

  /** Whether this host holds the slot's lease now. */
  holds(key: string): boolean {
    return this.#held.get(key)?.lease.held === true
  }

  /** The slot's lease: shared if this host holds it, else taken if no one does; null when another host does. */
  async acquire(key: string): Promise<SlotLease | null> {
    let entry = this.#held.get(key)
    if (!entry?.lease.held) {
      const lease = await this.take(key)
      if (!lease) return null
      const fresh = (entry = { lease, users: 0 })
      this.#held.set(key, fresh)
      lease.once('lost', () => this.#held.get(key) === fresh && this.#held.delete(key))
    }
    const held = entry
    held.users++
    let released = false
    let onLost: ((reason: string) => void) | null = null
    return {
      get held() {
        return !released && held.lease.held
      },
      onLost: (listener) => {
        onLost = (reason) => void (released || listener(reason))
        held.lease.once('lost', onLost)
      },
      release: async () => {
        if (released) return
        released = true
        if (onLost) held.lease.off('lost', onLost)
        if (--held.users > 0) return
        if (this.#held.get(key) === held) this.#held.delete(key)
        await held.lease.release()
      },
    }
  }
}
