// Which hosts of a cluster are up: each host writes its entry into the hosts bucket every third of the TTL; a host
// that stops writing (killed, frozen, cut off) drops out when JetStream removes its entry, TTL after its last write.
// The names come from a watch of the bucket (KV's `keys()` lists from a snapshot and misses keys rewritten while it
// reads, which heartbeats always are); whether each is still there is asked of the bucket itself.

import type { KV, KvEntry, NatsConnection, QueuedIterator } from 'nats'
import { bucketName, openBucket } from './nats-buckets.js'

export interface HostEntry {
  host: string
  pid: number
  /** Date.now() of the host's start: a host that restarts under the same id is told apart. */
  since: number
}

export class Membership {
  #timer: NodeJS.Timeout | undefined
  #left = false
  /** Every host name written since this host joined (or there when it did). */
  readonly #seen = new Set<string>()

  private constructor(
    private readonly kv: KV,
    readonly entry: HostEntry,
    private readonly ttlMs: number,
    private readonly watch: QueuedIterator<KvEntry>,
  ) {
    void (async () => {
      for await (const e of watch) this.#seen.add(e.key)
    })()
  }

  /** Joins `cluster` as `host` and keeps the entry fresh until leave(). */
  static async join(nc: NatsConnection, cluster: string, host: string, ttlMs: number): Promise<Membership> {
    const kv = await openBucket(nc, bucketName(cluster, 'hosts'), ttlMs)
    const membership = new Membership(kv, { host, pid: process.pid, since: Date.now() }, ttlMs, await kv.watch({ headers_only: true }))
    await membership.#write()
    return membership
  }

  /** The hosts up now, by id. */
  async hosts(): Promise<HostEntry[]> {
    const keys = [...this.#seen]
    const entries = await Promise.all(keys.map((key) => this.kv.get(key)))
    const hosts: HostEntry[] = []
    for (const [i, entry] of entries.entries()) {
      // Gone (expired: no value; left: a delete marker) until it writes again, which the watch will see.
      if (entry?.operation !== 'PUT') this.#seen.delete(keys[i]!)
      else {
        // Anything else written into the bucket (a broken or hostile writer) is not a host, and must not hide the rest.
        const host = parsed(entry.string())
        if (host?.host === entry.key) hosts.push(host)
      }
    }
    return hosts.sort((a, b) => a.host.localeCompare(b.host))
  }

  /** Leaves at once (a clean shutdown), rather than TTL later. */
  async leave(): Promise<void> {
    this.#left = true
    clearTimeout(this.#timer)
    this.watch.stop()
    await this.kv.delete(this.entry.host).catch(() => undefined)
  }

  async #write(): Promise<void> {
    if (this.#left) return
    // A failed write (NATS away for a moment) is retried at the next tick; the TTL is what tolerates it.
    await this.kv.put(this.entry.host, JSON.stringify(this.entry)).catch(() => undefined)
    if (!this.#left) this.#timer = setTimeout(() => void this.#write(), Math.max(1, Math.floor(this.ttlMs / 3)))
  }
}

function parsed(text: string): HostEntry | null {
  try {
    const value = JSON.parse(text) as Partial<HostEntry> | null
    return typeof value?.host === 'string' && typeof value.pid === 'number' && typeof value.since === 'number' ? (value as HostEntry) : null
  } catch {
    return null
  }
}
