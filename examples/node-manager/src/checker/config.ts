// The checker service's manifest config, validated with defaults, and the store it selects.
import { isAbsolute, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { errors } from '../errors.ts'
import { DEFAULT_LAG_BLOCKS } from './check.ts'
import { openFileStore } from './file-store.ts'
import type { NodeStore } from './store.ts'

export type StoreConfig = { kind: 'file'; path: string } | { kind: 'redis'; url: string; prefix: string }

export interface CheckerConfig {
  /** JSON file loaded into an empty store on start, and by bootstrap(). */
  nodesFile: string
  store: StoreConfig
  lagBlocks: number
  /** Upper bound for any single probe. */
  checkTimeoutMs: number
  /** Run one check before reporting ready, so getBestNode answers at once. */
  checkOnStart: boolean
  /** Load the nodes file when the store is empty or the file changed (off when a one-shot did it before). */
  bootstrapOnStart: boolean
}

export interface CheckerConfigInput {
  nodesFile?: string
  store?: { kind: 'file'; path?: string } | { kind: 'redis'; url?: string; prefix?: string }
  lagBlocks?: number
  checkTimeoutMs?: number
  checkOnStart?: boolean
  bootstrapOnStart?: boolean
}

export interface ConfigDefaults {
  nodesFile: string
  filePath: string
  redisUrl: string
}

/** The example's nodes.json, a file store under .svc/, and REDIS_URL (or Redis's default port) for a Redis store. */
export function defaultsFor(env: Record<string, string | undefined>): ConfigDefaults {
  return {
    nodesFile: fileURLToPath(new URL('../../nodes.json', import.meta.url)),
    filePath: '.svc/node-manager/checker-store.jsonl',
    redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  }
}

// Relative paths are resolved against the process's working directory.
export function parseCheckerConfig(raw: unknown, service: string, defaults: ConfigDefaults): CheckerConfig {
  const fail = (problem: string) => errors.config(service, problem)
  if (raw !== undefined && raw !== null && (typeof raw !== 'object' || Array.isArray(raw))) throw fail('expected an object.')
  const input = (raw ?? {}) as Record<string, unknown>
  const known = ['nodesFile', 'store', 'lagBlocks', 'checkTimeoutMs', 'checkOnStart', 'bootstrapOnStart']
  const unknown = Object.keys(input).filter((key) => !known.includes(key))
  if (unknown.length > 0) throw fail(`unknown field(s) ${unknown.join(', ')}; allowed: ${known.join(', ')}.`)

  const nodesFile = input.nodesFile ?? defaults.nodesFile
  if (typeof nodesFile !== 'string' || nodesFile === '') throw fail('"nodesFile" must be a path string.')
  const lagBlocks = input.lagBlocks ?? DEFAULT_LAG_BLOCKS
  if (!Number.isInteger(lagBlocks) || (lagBlocks as number) < 0) throw fail('"lagBlocks" must be an integer ≥ 0.')
  const checkTimeoutMs = input.checkTimeoutMs ?? 10_000
  if (!Number.isInteger(checkTimeoutMs) || (checkTimeoutMs as number) < 1) throw fail('"checkTimeoutMs" must be a positive integer.')
  const checkOnStart = input.checkOnStart ?? true
  if (typeof checkOnStart !== 'boolean') throw fail('"checkOnStart" must be true or false.')
  const bootstrapOnStart = input.bootstrapOnStart ?? true
  if (typeof bootstrapOnStart !== 'boolean') throw fail('"bootstrapOnStart" must be true or false.')

  return {
    nodesFile: absolute(nodesFile),
    store: parseStore(input.store, fail, defaults),
    lagBlocks: lagBlocks as number,
    checkTimeoutMs: checkTimeoutMs as number,
    checkOnStart,
    bootstrapOnStart,
  }
}

function parseStore(raw: unknown, fail: (problem: string) => Error, defaults: ConfigDefaults): StoreConfig {
  if (raw === undefined) return { kind: 'file', path: absolute(defaults.filePath) }
  const store = raw as Record<string, unknown>
  if (store?.kind === 'file') {
    const path = store.path ?? defaults.filePath
    if (typeof path !== 'string' || path === '') throw fail('"store.path" must be a file path.')
    return { kind: 'file', path: absolute(path) }
  }
  if (store?.kind === 'redis') {
    const url = store.url ?? defaults.redisUrl
    if (typeof url !== 'string' || !/^rediss?:\/\//.test(url)) throw fail('"store.url" must be a redis:// or rediss:// URL.')
    const prefix = store.prefix ?? 'nm:'
    if (typeof prefix !== 'string') throw fail('"store.prefix" must be a string such as "nm:".')
    return { kind: 'redis', url, prefix }
  }
  throw fail('"store.kind" must be "file" (embedded, the default) or "redis".')
}

export async function openStore(config: StoreConfig, onWarning: (message: string) => void): Promise<NodeStore> {
  if (config.kind === 'file') return openFileStore({ path: config.path, onWarning })
  // Loaded on demand: the Redis client is only worth its import time when Redis is configured.
  const { openRedisStore } = await import('./redis-store.ts')
  return openRedisStore({ url: config.url, prefix: config.prefix, onWarning })
}

function absolute(path: string): string {
  return isAbsolute(path) ? path : resolve(process.cwd(), path)
}
