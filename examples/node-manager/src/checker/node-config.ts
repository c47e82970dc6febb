// What a node is: its types, validation of user input, and the canonical content hash.
import { createHash } from 'node:crypto'
import { errors } from '../errors.ts'

export const NODE_TYPES = ['btc', 'ltc', 'eth'] as const
export type NodeType = (typeof NODE_TYPES)[number]
export type Protocol = 'http' | 'https'

export const DEFAULT_TIMEOUT_MS = 5000
const MAX_TIMEOUT_MS = 600_000
const ID_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/

/** How to reach a node. `user`/`pass` become HTTP basic auth. */
export interface NodeConfig {
  host: string
  port: number
  protocol: Protocol
  user?: string
  pass?: string
  timeoutMs: number
}

/** What addNode and the nodes file accept: a type, an optional id, and a (partly defaulted) config. */
export interface NodeInput {
  id?: string
  type: NodeType | string
  host: string
  port: number
  protocol?: Protocol
  user?: string
  pass?: string
  timeoutMs?: number
}

/** What updateNode accepts. `null` removes user or pass. The type and id cannot change. */
export interface NodePatch {
  host?: string
  port?: number
  protocol?: Protocol
  user?: string | null
  pass?: string | null
  timeoutMs?: number
}

/** A validated node as the store keeps it. */
export interface NodeRecord {
  id: string
  hash: string
  type: NodeType
  config: NodeConfig
  /** Hash of the nodes file the node was loaded from; absent for a node added (or updated) at run time. */
  fromFile?: string
}

const INPUT_FIELDS = new Set(['id', 'type', 'host', 'port', 'protocol', 'user', 'pass', 'timeoutMs'])
const PATCH_FIELDS = new Set(['host', 'port', 'protocol', 'user', 'pass', 'timeoutMs'])

export function isNodeType(value: unknown): value is NodeType {
  return typeof value === 'string' && (NODE_TYPES as readonly string[]).includes(value)
}

export function parseNodeType(value: unknown, where = ''): NodeType {
  if (isNodeType(value)) return value
  if (value === undefined) throw errors.invalidNode('type', `"type" is missing; use one of ${NODE_TYPES.join(', ')}.`, where)
  throw errors.invalidNode('type', `type ${JSON.stringify(value)} is not supported; use one of ${NODE_TYPES.join(', ')}.`, where)
}

// Validates addNode / nodes-file input; `where` names the origin in messages (e.g. `nodes.json, node #2: `).
export function parseNodeInput(raw: unknown, where = ''): { id?: string; type: NodeType; config: NodeConfig } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw errors.invalidNode('(node)', `expected an object like {"type":"btc","host":"127.0.0.1","port":8332}, got ${describe(raw)}.`, where)
  }
  const input = raw as Record<string, unknown>
  rejectUnknownFields(input, INPUT_FIELDS, where)
  const type = parseNodeType(input.type, where)
  let id: string | undefined
  if (input.id !== undefined) {
    if (typeof input.id !== 'string' || !ID_PATTERN.test(input.id)) {
      throw errors.invalidNode('id', `id ${JSON.stringify(input.id)} must be 1-64 chars of a-z, 0-9, ".", "_", "-", starting with a letter or digit.`, where)
    }
    id = input.id
  }
  const config = validateConfig(
    { host: input.host, port: input.port, protocol: input.protocol ?? 'http', user: input.user, pass: input.pass, timeoutMs: input.timeoutMs ?? DEFAULT_TIMEOUT_MS },
    where,
  )
  return id === undefined ? { type, config } : { id, type, config }
}

// Applies an updateNode patch over a stored config and validates the result as a whole.
export function applyPatch(config: NodeConfig, raw: unknown): NodeConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw errors.invalidNode('(patch)', `expected a patch object like {"port":8333}, got ${describe(raw)}.`)
  }
  const patch = raw as Record<string, unknown>
  if ('type' in patch || 'id' in patch) {
    throw errors.invalidNode('type' in patch ? 'type' : 'id', 'a node\'s type and id cannot change; remove the node and add a new one.')
  }
  rejectUnknownFields(patch, PATCH_FIELDS, '')
  const merged: Record<string, unknown> = { ...config }
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue
    if (value === null && (key === 'user' || key === 'pass')) delete merged[key]
    else merged[key] = value
  }
  return validateConfig(merged, '')
}

function validateConfig(c: Record<string, unknown>, where: string): NodeConfig {
  if (c.host === undefined || c.host === '') throw errors.invalidNode('host', '"host" is missing (a hostname or IP, e.g. "127.0.0.1").', where)
  if (typeof c.host !== 'string' || /[\s/:@]/.test(c.host.trim()) || c.host.trim() === '') {
    throw errors.invalidNode('host', `host ${JSON.stringify(c.host)} is not a hostname or IPv4 address (no scheme, port or path).`, where)
  }
  if (c.port === undefined) throw errors.invalidNode('port', '"port" is missing (the node\'s RPC port, e.g. 8332 for bitcoind).', where)
  if (!Number.isInteger(c.port) || (c.port as number) < 1 || (c.port as number) > 65535) {
    throw errors.invalidNode('port', `port ${JSON.stringify(c.port)} must be an integer from 1 to 65535.`, where)
  }
  if (c.protocol !== 'http' && c.protocol !== 'https') {
    throw errors.invalidNode('protocol', `protocol ${JSON.stringify(c.protocol)} must be "http" or "https".`, where)
  }
  for (const key of ['user', 'pass'] as const) {
    if (c[key] !== undefined && typeof c[key] !== 'string') throw errors.invalidNode(key, `"${key}" must be a string.`, where)
  }
  if (c.pass !== undefined && c.user === undefined) throw errors.invalidNode('user', '"pass" is set without "user"; basic auth needs both.', where)
  if (!Number.isInteger(c.timeoutMs) || (c.timeoutMs as number) < 1 || (c.timeoutMs as number) > MAX_TIMEOUT_MS) {
    throw errors.invalidNode('timeoutMs', `timeoutMs ${JSON.stringify(c.timeoutMs)} must be an integer from 1 to ${MAX_TIMEOUT_MS}.`, where)
  }
  const config: NodeConfig = {
    // Host names are case-insensitive: normalise so equal endpoints hash equally.
    host: c.host.trim().toLowerCase(),
    port: c.port as number,
    protocol: c.protocol,
    timeoutMs: c.timeoutMs as number,
  }
  if (c.user !== undefined) config.user = c.user as string
  if (c.pass !== undefined) config.pass = c.pass as string
  return config
}

function rejectUnknownFields(input: Record<string, unknown>, allowed: Set<string>, where: string): void {
  const unknown = Object.keys(input).filter((key) => !allowed.has(key))
  if (unknown.length > 0) {
    throw errors.invalidNode(unknown[0]!, `unknown field(s) ${unknown.map((k) => `"${k}"`).join(', ')}; allowed: ${[...allowed].join(', ')}.`, where)
  }
}

/** sha-256 over the type and config with sorted keys, so equal nodes hash equally whatever the key order. */
export function nodeHash(type: NodeType, config: NodeConfig): string {
  const canonical = { ...config, type } as Record<string, unknown>
  const sorted = Object.keys(canonical).sort().map((key) => [key, canonical[key]])
  return createHash('sha256').update(JSON.stringify(Object.fromEntries(sorted))).digest('hex')
}

/** Endpoint URL for messages and probes; never includes credentials. */
export function nodeUrl(config: NodeConfig): string {
  return `${config.protocol}://${config.host}:${config.port}/`
}

function describe(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value
}
