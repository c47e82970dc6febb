// Shared by the nodepool Redis tests: unique pool names. Whether Redis is there, and where, and the client and
// cleanup every Redis test uses, are in test-support/redis.ts.
import { randomBytes } from 'node:crypto'

export {
  REDIS_URL,
  connectRedis,
  deletePoolKeys,
  redisAnswers,
  redisForTests,
  type RedisClient,
} from '../../../../test-support/redis.js'

export function uniqueService(label: string): string {
  return `test-${label}-${process.pid}-${randomBytes(4).toString('hex')}`
}
