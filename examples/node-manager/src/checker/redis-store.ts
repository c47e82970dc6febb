// The shared store: three Redis hashes under one prefix —
//   <prefix>nodes  id → NodeRecord JSON     <prefix>hashes  id → config hash     <prefix>health  id → NodeHealth JSON
// `hashes` lets a Lua script drop health for a node whose config changed mid-check, atomically.
import { createClient } from 'redis'
import { debuglog } from 'node:util'
import { errors } from '../errors.ts'
import type { NodeRecord } from './node-config.ts'
import type { HealthResult, NodeHealth, NodeStore, StoredNode } from './store.ts'

const debug = debuglog('svc:nm:redis-store')

export interface RedisStoreOptions {
  url: string
  /** Prepended to every key, e.g. "nm:" → "nm:nodes". */
  prefix: string
  /** Connection trouble after start-up (Redis restarts, network blips). */
  onWarning?: (message: string) => void
}

// ARGV is (id, expected hash, health JSON) triples.
const SET_HEALTH = `
for i = 1, #ARGV, 3 do
  if redis.call('HGET', KEYS[1], ARGV[i]) == ARGV[i + 1] then
    redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 2])
  end
end
return 0`

export async function openRedisStore(options: RedisStoreOptions): Promise<NodeStore> {
  let everReady = false
  const client = createClient({
    url: options.url,
    // Commands fail at once while disconnected instead of queueing, so check() never hangs on Redis.
    disableOfflineQueue: true,
    socket: {
      connectTimeout: 2000,
      // Fail fast on the first connect (a wrong URL should stop the service); back off once it has worked.
      reconnectStrategy: (retries) => (everReady ? Math.min(100 * 2 ** retries, 2000) : false),
    },
  })
  client.on('ready', () => {
    everReady = true
  })
  client.on('error', (error: Error) => {
    if (everReady) options.onWarning?.(`Redis store at ${options.url}: ${error.message}`)
  })
  try {
    await client.connect()
  } catch (error) {
    // A refused first connect has already closed the client; destroy() would throw "client is closed".
    if (client.isOpen) client.destroy()
    throw errors.storeUnavailable(options.url, error)
  }
  debug('connected to %s, prefix %s', options.url, options.prefix)
  return new RedisStore(client, options.prefix)
}

type Client = ReturnType<typeof createClient>

class RedisStore implements NodeStore {
  readonly kind = 'redis' as const
  private readonly keys: { nodes: string; hashes: string; health: string }
  private closed = false

  constructor(
    private readonly client: Client,
    prefix: string,
  ) {
    this.keys = { nodes: `${prefix}nodes`, hashes: `${prefix}hashes`, health: `${prefix}health` }
  }

  async list(): Promise<StoredNode[]> {
    this.assertOpen()
    const [nodes, health] = (await this.client.multi().hGetAll(this.keys.nodes).hGetAll(this.keys.health).exec()) as unknown as [
      Record<string, string>,
      Record<string, string>,
    ]
    return Object.entries(nodes).map(([id, json]) => {
      const node: StoredNode = JSON.parse(json) as NodeRecord
      if (health[id] !== undefined) node.health = JSON.parse(health[id]) as NodeHealth
      return node
    })
  }

  async put(node: NodeRecord): Promise<void> {
    this.assertOpen()
    await this.client
      .multi()
      .hSet(this.keys.nodes, node.id, JSON.stringify(node))
      .hSet(this.keys.hashes, node.id, node.hash)
      .hDel(this.keys.health, node.id)
      .exec()
  }

  async remove(id: string): Promise<boolean> {
    this.assertOpen()
    const [removed] = (await this.client
      .multi()
      .hDel(this.keys.nodes, id)
      .hDel(this.keys.hashes, id)
      .hDel(this.keys.health, id)
      .exec()) as unknown as [number]
    return removed > 0
  }

  async setHealth(results: readonly HealthResult[]): Promise<void> {
    this.assertOpen()
    if (results.length === 0) return
    await this.client.eval(SET_HEALTH, {
      keys: [this.keys.hashes, this.keys.health],
      arguments: results.flatMap(({ id, hash, health }) => [id, hash, JSON.stringify(health)]),
    })
  }

  async replaceAll(nodes: readonly NodeRecord[]): Promise<void> {
    this.assertOpen()
    const multi = this.client.multi().del([this.keys.nodes, this.keys.hashes, this.keys.health])
    if (nodes.length > 0) {
      multi.hSet(this.keys.nodes, Object.fromEntries(nodes.map((node) => [node.id, JSON.stringify(node)])))
      multi.hSet(this.keys.hashes, Object.fromEntries(nodes.map((node) => [node.id, node.hash])))
    }
    await multi.exec()
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    if (this.client.isOpen) await this.client.close()
  }

  private assertOpen(): void {
    if (this.closed) throw errors.storeClosed('redis')
  }
}
