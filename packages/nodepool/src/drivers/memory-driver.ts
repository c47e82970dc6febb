// In-process store: pools that share one MemoryDriver form a pool (tests, single-host default). Same
// semantics as RedisDriver, with this driver's clock standing in for Redis'.

import type {
  CallOptions,
  ClaimRequest,
  ClaimResult,
  ConfirmRequest,
  ConfirmResult,
  HeartbeatRequest,
  HeartbeatResult,
  PoolDriver,
} from './driver.js'

export interface MemoryDriverOptions {
  /** The store's clock in ms. Default `Date.now`. Tests pass a manual clock. */
  now?: () => number
}

interface Entry {
  value: string
  expiresAt: number
}

export class MemoryDriver implements PoolDriver {
  readonly kind = 'memory'
  readonly #now: () => number
  readonly #keys = new Map<string, Entry>()
  readonly #fences = new Map<string, number>()
  #leaseSeq = 0

  constructor(options: MemoryDriverOptions = {}) {
    this.#now = options.now ?? Date.now
  }

  #get(key: string): string | undefined {
    const e = this.#keys.get(key)
    if (!e) return undefined
    if (e.expiresAt <= this.#now()) {
      this.#keys.delete(key)
      return undefined
    }
    return e.value
  }

  #set(key: string, value: string, ttlMs: number): void {
    this.#keys.set(key, { value, expiresAt: this.#now() + ttlMs })
  }

  #liveMembers(service: string): string[] {
    const prefix = `${service}\0node\0`
    const out: string[] = []
    for (const key of [...this.#keys.keys()]) {
      if (key.startsWith(prefix) && this.#get(key) !== undefined) out.push(key.slice(prefix.length))
    }
    return out.sort()
  }

  async heartbeat(req: HeartbeatRequest, _options?: CallOptions): Promise<HeartbeatResult> {
    const key = `${req.service}\0node\0${req.nodeId}`
    const current = this.#get(key)
    let lease: string
    let fresh: boolean
    if (current === undefined) {
      lease = `${req.instance}|${++this.#leaseSeq}`
      fresh = true
    } else if (current === req.lease) {
      lease = current
      fresh = false
    } else if (current.startsWith(`${req.instance}|`)) {
      lease = current // our own newer lease, whose reply we never saw
      fresh = true
    } else {
      return { ok: false, reason: 'conflict', holder: current }
    }
    this.#set(key, lease, req.ttlMs)
    return { ok: true, lease, fresh, nodes: this.#liveMembers(req.service), serverTimeMs: this.#now() }
  }

  async members(service: string, _options?: CallOptions): Promise<string[]> {
    return this.#liveMembers(service)
  }

  async deregister(service: string, nodeId: string, lease: string, _options?: CallOptions): Promise<void> {
    const key = `${service}\0node\0${nodeId}`
    if (this.#get(key) === lease) this.#keys.delete(key)
  }

  async claim(req: ClaimRequest, _options?: CallOptions): Promise<ClaimResult> {
    if (this.#get(`${req.service}\0node\0${req.nodeId}`) !== req.lease) return { ok: false, reason: 'lease' }
    const runKey = `${req.service}\0run\0${req.job}\0${req.slot}`
    if (this.#get(runKey) !== undefined) return { ok: false, reason: 'taken' }
    const fenceKey = `${req.service}\0${req.job}`
    const token = (this.#fences.get(fenceKey) ?? 0) + 1
    this.#fences.set(fenceKey, token)
    this.#set(runKey, `${token} ${req.nodeId} ${req.lease}`, req.ttlMs)
    return { ok: true, token }
  }

  async confirm(req: ConfirmRequest, _options?: CallOptions): Promise<ConfirmResult> {
    const run = this.#get(`${req.service}\0run\0${req.job}\0${req.slot}`)
    if (run === undefined) return { ok: false, reason: 'expired' }
    if (run !== `${req.token} ${req.nodeId} ${req.lease}`) return { ok: false, reason: 'superseded' }
    if (this.#get(`${req.service}\0node\0${req.nodeId}`) !== req.lease) return { ok: false, reason: 'lease' }
    return { ok: true }
  }

  /** Drops everything, like a Redis restart without persistence (tests). Fencing tokens are kept. */
  simulateDataLoss(): void {
    this.#keys.clear()
  }
}
