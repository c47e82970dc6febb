// Which hosts of a cluster are up, and what each runs: each host writes its entry into the hosts bucket every third
// of the TTL, and at once when one of its instances changes state; a host that stops writing (killed, frozen, cut
// off) drops out when JetStream removes its entry, TTL after its last write.
// The entries come from a watch of the bucket (KV's `keys()` lists from a snapshot and misses keys rewritten while it
// reads, which heartbeats always are). JetStream says nothing when a value expires, so a host is dropped from the view
// TTL after the watch last delivered its entry (when JetStream removes it too), and every third of the TTL each known
// entry is also asked of the bucket itself.

import { EventEmitter } from 'eventemitter3'
import type { KV, KvEntry, NatsConnection, QueuedIterator } from 'nats'
import type { InstanceState } from '../protocol/snapshot.js'
import { bucketName, openBucket } from './nats-buckets.js'

export interface HostEntry {
  host: string
  pid: number
  /** Date.now() of the host's start: a host that restarts under the same id is told apart. */
  since: number
  /** What the host runs: instance id (`api#0`) → its state there. */
  instances?: Record<string, InstanceState>
  /** The host is closing alone: it takes no slot, and the slots it runs are being handed over (they run nowhere
   * else until it lets them go). */
  draining?: boolean
}

export interface MembershipEvents {
  /** A host's entry was written, or a host left or expired (then `entry` is null). */
  change: [host: string, entry: HostEntry | null]
}

export class Membership extends EventEmitter<MembershipEvents> {
  #timer: NodeJS.Timeout | undefined
  #poll: NodeJS.Timeout | undefined
  #left = false
  /** The entries of the hosts up, as last written. */
  readonly #entries = new Map<string, HostEntry>()
  /** Per host: drops it once it has not written for a TTL. */
  readonly #silence = new Map<string, NodeJS.Timeout>()
  #instances: Record<string, InstanceState> = {}
  /** A write is under way, and another was asked for meanwhile. */
  #writing: Promise<void> | null = null
  #again = false

  private constructor(
    private readonly kv: KV,
    readonly entry: HostEntry,
    private readonly ttlMs: number,
    private readonly watch: QueuedIterator<KvEntry>,
  ) {
    super()
    void (async () => {
      for await (const e of watch) this.#seen(e.key, e.operation === 'PUT' ? parsed(e.string()) : null)
    })()
    this.#poll = setInterval(() => void this.hosts().catch(() => undefined), Math.max(1, Math.floor(ttlMs / 3)))
  }

  /** Joins `cluster` as `host` and keeps the entry fresh until leave(). */
  static async join(nc: NatsConnection, cluster: string, host: string, ttlMs: number): Promise<Membership> {
    const kv = await openBucket(nc, bucketName(cluster, 'hosts'), ttlMs)
    const membership = new Membership(kv, { host, pid: process.pid, since: Date.now() }, ttlMs, await kv.watch())
    await membership.#write()
    return membership
  }

  /** The hosts up now, by id, asked of the bucket. */
  async hosts(): Promise<HostEntry[]> {
    const keys = [...this.#entries.keys()]
    const entries = await Promise.all(keys.map((key) => this.kv.get(key)))
    for (const [i, entry] of entries.entries()) {
      // Gone (expired: no value; left: a delete marker) until it writes again, which the watch will see.
      if (entry?.operation !== 'PUT') this.#seen(keys[i]!, null)
    }
    return this.up()
  }

  /** The hosts up as last seen (no round trip), by id. */
  up(): HostEntry[] {
    return [...this.#entries.values()].sort((a, b) => a.host.localeCompare(b.host))
  }

  /** A host's entry as last seen, if it is up. */
  get(host: string): HostEntry | undefined {
    return this.#entries.get(host)
  }

  /** Says what this host runs now: written at once (one write at a time; the latest state wins). */
  publish(instances: Record<string, InstanceState>): Promise<void> {
    this.#instances = instances
    if (this.#writing) {
      this.#again = true
      return this.#writing
    }
    clearTimeout(this.#timer)
    return this.#write()
  }

  /** Says this host is closing alone (HostEntry.draining), at once. */
  drain(): Promise<void> {
    this.entry.draining = true
    return this.publish(this.#instances)
  }

  /** Leaves at once (a clean shutdown), rather than TTL later. */
  async leave(): Promise<void> {
    this.#left = true
    clearTimeout(this.#timer)
    clearInterval(this.#poll)
    for (const timer of this.#silence.values()) clearTimeout(timer)
    this.watch.stop()
    await this.#writing
    await this.kv.delete(this.entry.host).catch(() => undefined)
  }

  #seen(host: string, entry: HostEntry | null): void {
    // Anything written into the bucket that is not a host's own entry (a broken or hostile writer) is not a host.
    if (entry?.host !== undefined && entry.host !== host) entry = null
    if (entry === null && !this.#entries.has(host)) return
    clearTimeout(this.#silence.get(host))
    if (entry) {
      this.#entries.set(host, entry)
      this.#silence.set(host, setTimeout(() => this.#seen(host, null), this.ttlMs))
    } else {
      this.#entries.delete(host)
      this.#silence.delete(host)
    }
    this.emit('change', host, entry)
  }

  #write(): Promise<void> {
    if (this.#left) return Promise.resolve()
    this.#writing = (async () => {
      do {
        this.#again = false
        // A failed write (NATS away for a moment) is retried at the next tick; the TTL is what tolerates it.
        await this.kv.put(this.entry.host, JSON.stringify({ ...this.entry, instances: this.#instances })).catch(() => undefined)
      } while (this.#again && !this.#left)
    })().finally(() => {
      this.#writing = null
      if (!this.#left) this.#timer = setTimeout(() => void this.#write(), Math.max(1, Math.floor(this.ttlMs / 3)))
    })
    return this.#writing
  }
}

/** A host's entry, or null for anything else under its key (then it does not count as up). */
function parsed(text: string): HostEntry | null {
  try {
    const value = JSON.parse(text) as Partial<HostEntry> | null
    const valid = typeof value?.host === 'string' && typeof value.pid === 'number' && typeof value.since === 'number'
    if (!valid || (value.instances !== undefined && (typeof value.instances !== 'object' || value.instances === null))) return null
    if (value.draining !== undefined && typeof value.draining !== 'boolean') return null
    return value as HostEntry
  } catch {
    return null
  }
}
