// Per-run claims with fencing tokens.
//
// Each run of a scheduled job takes `run:<job>:<slot>` with SET NX PX, in one Lua script that also checks the
// claiming node's lease (its registration key holds the lease it believes it has) and issues a fencing token.
// The script runs atomically in Redis, so "lease still live", "slot still free", "token > every earlier token"
// and "slot now taken" are one step: two nodes with different views of the ring, or a node that wakes up after
// a long pause, cannot both get the same slot.
//
// Tokens: token = max(previous token of this job + 1, Redis TIME in microseconds). The counter alone would
// restart at 1 when Redis restarts without persistence; the time floor keeps tokens increasing across such a
// restart as long as Redis' clock does not step back and a job is not claimed more than once per microsecond.

/** A successful claim: what `NodePool.claim` returns and `NodePool.confirm` checks. */
export interface RunClaim {
  readonly job: string
  readonly slot: string
  /** Fencing token: strictly greater than every token issued before for this job. */
  readonly token: number
  readonly nodeId: string
  /** The node's lease when it claimed; the claim is void once that lease lapsed. */
  readonly lease: string
}

/** Key layout of one pool in Redis. All keys share the `{service}` hash tag (one cluster slot). */
export class PoolKeys {
  readonly base: string
  constructor(prefix: string, service: string) {
    this.base = `${prefix}{${service}}`
  }
  node(nodeId: string): string {
    return `${this.base}:node:${nodeId}`
  }
  members(): string {
    return `${this.base}:members`
  }
  /** The job name is URI-encoded so that `job:slot` can never be read two ways (`a:b`+`c` vs `a`+`b:c`). */
  run(job: string, slot: string): string {
    return `${this.base}:run:${encodeURIComponent(job)}:${slot}`
  }
  fence(job: string): string {
    return `${this.base}:fence:${encodeURIComponent(job)}`
  }
}

/** How long an idle job's token counter is kept (the time floor keeps tokens increasing after it expires). */
export const FENCE_KEY_TTL_MS = 24 * 3600 * 1000

/** The value a run key holds; `confirm` compares it whole. */
export function runValue(token: number | string, nodeId: string, lease: string): string {
  return `${token} ${nodeId} ${lease}`
}

/**
 * KEYS: node key, run key, fence key. ARGV: lease, nodeId, claim ttl ms, fence ttl ms.
 * Returns {1, token} or {0, 'lease' | 'taken'}.
 */
export const CLAIM_SCRIPT = `
if redis.replicate_commands then pcall(redis.replicate_commands) end
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return {0, 'lease'} end
if redis.call('EXISTS', KEYS[2]) == 1 then return {0, 'taken'} end
local t = redis.call('TIME')
local nowUs = tonumber(t[1]) * 1000000 + tonumber(t[2])
local token = tonumber(redis.call('GET', KEYS[3]) or '0') + 1
if nowUs > token then token = nowUs end
local tok = string.format('%.0f', token)
redis.call('SET', KEYS[3], tok, 'PX', ARGV[4])
redis.call('SET', KEYS[2], tok .. ' ' .. ARGV[2] .. ' ' .. ARGV[1], 'PX', ARGV[3])
return {1, tok}
`

/**
 * KEYS: node key, run key. ARGV: lease, expected run value.
 * Returns 'ok' | 'expired' | 'superseded' | 'lease'.
 */
export const CONFIRM_SCRIPT = `
local run = redis.call('GET', KEYS[2])
if not run then return 'expired' end
if run ~= ARGV[2] then return 'superseded' end
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 'lease' end
return 'ok'
`

/**
 * The downstream half of fencing: a resource that remembers the highest token it accepted per job and refuses
 * anything older. A node paused in the middle of a run cannot be stopped from finishing; a store guarded like
 * this refuses its late writes once a newer run of the job wrote.
 */
export class FenceGate {
  readonly #highest = new Map<string, number>()

  /** Accepts `token` for `job` if it is at least the highest seen (the same run may write several times). */
  accept(job: string, token: number): boolean {
    const highest = this.#highest.get(job)
    if (highest !== undefined && token < highest) return false
    this.#highest.set(job, token)
    return true
  }

  highest(job: string): number | undefined {
    return this.#highest.get(job)
  }
}
