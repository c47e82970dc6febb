export { PoolError, PoolErrorCode, isPoolError } from './errors.js'
export { HashRing, hash32, DEFAULT_REPLICAS, type HashRingOptions } from './ring/hash-ring.js'
export { BoundedLoadRing, assignBounded, boundedCapacity, type BoundedLoadOptions } from './ring/bounded-load.js'
export type {
  PoolDriver,
  CallOptions,
  HeartbeatRequest,
  HeartbeatResult,
  ClaimRequest,
  ClaimResult,
  ConfirmRequest,
  ConfirmResult,
} from './drivers/driver.js'
export { MemoryDriver, type MemoryDriverOptions } from './drivers/memory-driver.js'
export {
  RedisDriver,
  type RedisDriverOptions,
  type RedisClientLike,
  type NodeRedisLike,
  type IoredisLike,
} from './drivers/redis-driver.js'
export { FenceGate, PoolKeys, type RunClaim } from './claims/run-claim.js'
export {
  NodePool,
  type NodePoolOptions,
  type NodePoolEvents,
  type PoolState,
  type Eligibility,
  type IneligibleReason,
  type ClaimAttempt,
  type ClaimOptions,
  type ClaimRefusal,
  type MembershipChange,
  type BoundedLoadConfig,
} from './pool/node-pool.js'
