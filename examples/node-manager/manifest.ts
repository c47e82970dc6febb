// The node manager's services as a function of a few options, so svc.config.ts (options from the
// environment), the end-to-end tests and the benchmark (free ports, a temp state dir) share one manifest.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { isAbsolute, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineServices, type DependencyCondition, type RestartOptions } from '@services-cluster/core'
import { DEFAULT_SIM_CONFIG, type SimConfig } from './src/chain-sim/sim-config.ts'
import { errors } from './src/errors.ts'

const HERE = fileURLToPath(new URL('.', import.meta.url))
export const EXAMPLE_DIR = HERE.endsWith('/') ? HERE.slice(0, -1) : HERE
export const EXAMPLE_NODES_FILE = join(EXAMPLE_DIR, 'nodes.json')
export const DEFAULT_GATEWAY_PORT = 8545
export const DEFAULT_GATEWAY_INSTANCES = 2
export const SIM_NODE_IDS = DEFAULT_SIM_CONFIG.nodes.map((n) => n.id)

export const DEFAULT_REDIS_PORT = 6390

/**
 * Where the example's Redis is: `{ port }` runs redis-server as a service of the graph on 127.0.0.1:`port` (the
 * default, port 6390, so it never meets a system Redis on 6379); `{ url }` uses a Redis you run yourself.
 */
export type RedisOption = { port?: number } | { url: string }

export interface NodeManagerOptions {
  /** Gateway HTTP port; 0 picks a free one (then ask `gateway.address()`). Default 8545. */
  gatewayPort?: number
  /** Gateway processes, all serving the one port (the manager's `listen`) and the one Redis channel. Default 2. */
  gatewayInstances?: number
  /** Bearer token the gateway requires on POST /rpc. Default: none (it listens on 127.0.0.1 only). */
  gatewayToken?: string
  /** Default `{ port: 6390 }`: the graph runs its own redis-server. null: no Redis (file store, no Redis channel). */
  redis?: RedisOption | null
  /** The gateway's Redis RPC channel, when there is Redis: default `{ name: 'node-manager' }`; null turns it off. */
  redisChannel?: { name?: string; scope?: string } | null
  /** The checker's store: Redis (the default when there is Redis; key `prefix`, default "nm:") or the embedded file. */
  store?: { kind: 'file' } | { kind: 'redis'; prefix?: string }
  /** Run the simulated chain nodes. Default true; false means nodes.json points at real nodes. */
  simulate?: boolean
  /** Simulated node ports by id (btc-a, btc-b, ltc-a, eth-a, eth-b); the nodes file follows them. */
  simPorts?: Partial<Record<string, number>>
  /** Where the manager, the checker's store, Redis's data and the scheduler's state live. Default `<example>/.svc`. */
  stateDir?: string
  /** How often the scheduler checks every node. Default '5s'. */
  checkEvery?: string
  /**
   * Run across hosts (docs/node-manager.md, "On three hosts"): every host starts this manifest with `svc up --host
   * <id>`; the gateway runs on every host, the checker, the scheduler and the simulated nodes each on one host at a
   * time, failing over. Needs a Redis every host reaches (`redis: { url }`): the store and the RPC channel live there.
   */
  cluster?: { name?: string; nats: string }
}

// Every crash restarts with backoff; more than 5 restarts in a minute means something is really wrong.
const restart: RestartOptions = { policy: 'on-failure', backoff: { initialMs: 200, maxMs: 5000 }, maxRestarts: 5, windowMs: 60_000 }

export function nodeManagerManifest(options: NodeManagerOptions = {}) {
  const stateDir = resolve(EXAMPLE_DIR, options.stateDir ?? '.svc')
  const simulate = options.simulate ?? true
  const simPorts = options.simPorts ?? {}
  const unknown = Object.keys(simPorts).filter((id) => !SIM_NODE_IDS.includes(id))
  if (unknown.length > 0) throw errors.manifest('simPorts', `no simulated node ${unknown.join(', ')}; the ids are ${SIM_NODE_IDS.join(', ')}.`)
  const moved = Object.keys(simPorts).length > 0
  const sim: SimConfig = { ...DEFAULT_SIM_CONFIG, nodes: DEFAULT_SIM_CONFIG.nodes.map((n) => ({ ...n, port: simPorts[n.id] ?? n.port })) }
  const nodesFile = moved ? writeMovedNodesFile(stateDir, simPorts) : EXAMPLE_NODES_FILE

  const { ownRedisPort, store, channel } = redisPlan(options, stateDir)
  const cluster = options.cluster
  if (cluster && ownRedisPort !== null) {
    throw errors.manifest('redis', 'across hosts the store and the RPC channel need a Redis every host reaches: give redis: { url } (NM_REDIS=redis://…).')
  }
  // Across hosts: one of each on the cluster (the default placement, 'any'), the gateway on every host.
  const everyHost = cluster ? { placement: 'every' as const } : {}
  // Who waits for the graph's own Redis: whatever keeps the store in it, and the gateway for its channel.
  const storeOnOwnRedis = ownRedisPort !== null && store.kind === 'redis'
  const checkerNeeds: Record<string, DependencyCondition> = {
    ...(simulate ? { 'chain-sim': 'ready' } : {}),
    ...(storeOnOwnRedis ? { redis: 'ready' } : {}),
    bootstrap: 'completed',
  }

  return defineServices({
    stateDir,
    ...(cluster && { cluster: { name: cluster.name ?? 'node-manager', nats: cluster.nats, redis: store.kind === 'redis' ? store.url : undefined } }),
    services: {
      ...(ownRedisPort !== null ? { redis: redisService(ownRedisPort, stateDir) } : {}),
      ...(simulate ? { 'chain-sim': { entry: join(EXAMPLE_DIR, 'services/chain-sim.ts'), config: sim, restart } } : {}),
      // pg_nm's bootstrap: load the nodes file into the store when it is empty or the file changed, then exit.
      bootstrap: {
        command: [process.execPath, '--import', 'jiti/register', join(EXAMPLE_DIR, 'scripts/bootstrap.ts')],
        // jiti/register resolves from here, wherever svc was started.
        cwd: EXAMPLE_DIR,
        oneshot: true,
        dependsOn: storeOnOwnRedis ? ['redis'] : [],
        env: { NM_CHECKER_CONFIG: JSON.stringify({ nodesFile, store }) },
      },
      checker: {
        entry: join(EXAMPLE_DIR, 'services/checker.ts'),
        // The checker probes every node once on start, so the simulators must already listen; it starts on the nodes
        // the bootstrap stored, so that must have exited 0.
        dependsOn: checkerNeeds,
        config: { nodesFile, store, bootstrapOnStart: false },
        restart,
        // The first check is bounded by the nodes' timeoutMs (2 s in nodes.json).
        startTimeoutMs: 20_000,
      },
      scheduler: {
        entry: '@services-cluster/scheduler',
        dependsOn: ['checker'],
        config: {
          stateFile: join(stateDir, 'scheduler-tasks.json'),
          tasks: [{ name: 'check', every: options.checkEvery ?? '5s', call: { service: 'checker', method: 'check', args: [] }, timeoutMs: 15_000 }],
        },
        restart,
      },
      gateway: {
        entry: '@services-cluster/gateway',
        // The gateway must depend on every service it exposes.
        dependsOn: ['checker', 'scheduler', ...(ownRedisPort !== null && channel ? ['redis'] : [])],
        // The manager holds the gateway's port: while the gateway restarts (a crash, `svc restart`, a watch reload)
        // requests wait in the kernel's backlog instead of being refused. 127.0.0.1: it has no token by default.
        listen: { port: options.gatewayPort ?? DEFAULT_GATEWAY_PORT, host: '127.0.0.1' },
        // Two processes accept on that port, so one's crash or restart costs only what it had in flight; each
        // claims a Redis request before executing it, so a request is still executed once (docs/gateway.md).
        instances: options.gatewayInstances ?? DEFAULT_GATEWAY_INSTANCES,
        config: {
          // Each with the number of params it takes: a call with too few or too many answers -32602.
          expose: [
            { pattern: 'checker.getBestNode', minParams: 1, maxParams: 1 },
            { pattern: 'checker.getNodes', minParams: 0, maxParams: 1 },
            { pattern: 'checker.getNodeConfig', minParams: 1, maxParams: 1 },
            { pattern: 'checker.addNode', minParams: 1, maxParams: 1 },
            { pattern: 'checker.rmNode', minParams: 1, maxParams: 1 },
            { pattern: 'checker.updateNode', minParams: 2, maxParams: 2 },
            { pattern: 'checker.check', minParams: 0, maxParams: 0 },
            { pattern: 'scheduler.taskList', minParams: 0, maxParams: 0 },
            { pattern: 'scheduler.taskRun', minParams: 1, maxParams: 1 },
          ],
          ...(options.gatewayToken ? { token: options.gatewayToken } : {}),
          ...(channel ? { redis: channel } : {}),
        },
        restart,
        // Stopping lets in-flight requests finish for up to 5 s.
        stopTimeoutMs: 6000,
        ...everyHost,
      },
    },
  })
}

// Where Redis is and what uses it: the graph's own redis-server (its port, or null), the store, the gateway's channel.
function redisPlan(options: NodeManagerOptions, stateDir: string) {
  const redis = options.redis === undefined ? {} : options.redis
  const ownRedisPort = redis && !('url' in redis) ? (redis.port ?? DEFAULT_REDIS_PORT) : null
  // Port 0 would make redis-server listen on no TCP port at all.
  if (ownRedisPort !== null && !(Number.isInteger(ownRedisPort) && ownRedisPort >= 1 && ownRedisPort <= 65535)) {
    throw errors.manifest('redis.port', `${ownRedisPort} is not a port (1-65535).`)
  }
  const url = redis ? ('url' in redis ? redis.url : `redis://127.0.0.1:${ownRedisPort}`) : null
  const kind = options.store?.kind ?? (url ? 'redis' : 'file')
  if (kind === 'redis' && !url) throw errors.manifest('store', 'the Redis store needs Redis; drop redis: null, or use { kind: "file" }.')
  const prefix = (options.store?.kind === 'redis' && options.store.prefix) || 'nm:'
  const store = kind === 'redis' ? { kind, url: url!, prefix } : { kind, path: join(stateDir, 'checker-store.jsonl') }
  const named = options.redisChannel
  const channel = url && named !== null ? { url, channel: named?.name ?? 'node-manager', ...(named?.scope ? { scope: named.scope } : {}) } : null
  return { ownRedisPort, store, channel }
}

// redis-server on 127.0.0.1 only, its data in <stateDir>/redis as an append-only file written through on every
// change (a SIGKILL loses nothing), no RDB snapshots. Its tcp probe passes once it listens: a file this small is
// loaded before Redis answers anyone, so a client that connected early still never sees an empty Redis.
function redisService(port: number, stateDir: string) {
  const dir = join(stateDir, 'redis')
  mkdirSync(dir, { recursive: true })
  return {
    command: ['redis-server', '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always'],
    ready: { tcp: port, intervalMs: 50 },
    restart,
  }
}

// Variables: NM_GATEWAY_PORT, NM_GATEWAY_INSTANCES, NM_GATEWAY_TOKEN, NM_REDIS (1/0 or a redis:// URL), NM_REDIS_PORT, NM_REDIS_CHANNEL,
// NM_STORE (redis|file), NM_SIMULATE (1/0), NM_SIM_PORTS ("btc-a=1,eth-b=2"), NM_STATE_DIR, NM_CHECK_EVERY,
// NM_CLUSTER_NATS (a nats:// URL: run across hosts) and NM_CLUSTER_NAME.
// REDIS_URL is not read: the example's Redis is its own unless NM_REDIS names another.
export function optionsFromEnv(env: Record<string, string | undefined> = process.env): NodeManagerOptions {
  const options: NodeManagerOptions = {}
  if (env.NM_GATEWAY_PORT) options.gatewayPort = port('NM_GATEWAY_PORT', env.NM_GATEWAY_PORT)
  if (env.NM_GATEWAY_INSTANCES) options.gatewayInstances = count('NM_GATEWAY_INSTANCES', env.NM_GATEWAY_INSTANCES)
  if (env.NM_GATEWAY_TOKEN) options.gatewayToken = env.NM_GATEWAY_TOKEN
  const redis = redisChoice(env)
  if (redis !== undefined) options.redis = redis
  if (env.NM_REDIS_CHANNEL) options.redisChannel = { name: env.NM_REDIS_CHANNEL }
  if (env.NM_STORE === 'redis' || env.NM_STORE === 'file') options.store = { kind: env.NM_STORE }
  else if (env.NM_STORE) throw errors.manifest('NM_STORE', `"${env.NM_STORE}" is not a store; use "redis" (default) or "file".`)
  if (env.NM_STORE === 'redis' && redis === null) throw errors.manifest('NM_STORE', 'the Redis store needs Redis, and NM_REDIS is off.')
  if (env.NM_SIMULATE) options.simulate = flag('NM_SIMULATE', env.NM_SIMULATE)
  if (env.NM_SIM_PORTS) options.simPorts = simPorts(env.NM_SIM_PORTS)
  if (env.NM_STATE_DIR) options.stateDir = isAbsolute(env.NM_STATE_DIR) ? env.NM_STATE_DIR : resolve(env.NM_STATE_DIR)
  if (env.NM_CHECK_EVERY) options.checkEvery = env.NM_CHECK_EVERY
  if (env.NM_CLUSTER_NATS) options.cluster = { nats: env.NM_CLUSTER_NATS, ...(env.NM_CLUSTER_NAME ? { name: env.NM_CLUSTER_NAME } : {}) }
  return options
}

// Unset or on: the graph's own redis-server (on NM_REDIS_PORT); a URL: that Redis; off: none. Undefined: the default.
function redisChoice(env: Record<string, string | undefined>): RedisOption | null | undefined {
  const setting = env.NM_REDIS?.trim()
  const redisPort = env.NM_REDIS_PORT ? port('NM_REDIS_PORT', env.NM_REDIS_PORT, 1) : undefined
  if (setting && /^rediss?:\/\//.test(setting)) return { url: setting }
  if (setting && !flag('NM_REDIS', setting)) return null
  return redisPort === undefined ? undefined : { port: redisPort }
}

function flag(variable: string, value: string): boolean {
  if (/^(1|true|on|yes)$/i.test(value)) return true
  if (/^(0|false|off|no)$/i.test(value)) return false
  throw errors.manifest(variable, `"${value}" is neither on (1, true) nor off (0, false).`)
}

function port(variable: string, value: string, min = 0): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < min || n > 65535) throw errors.manifest(variable, `"${value}" is not a port (${min}-65535).`)
  return n
}

function count(variable: string, value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) throw errors.manifest(variable, `"${value}" is not a whole number of processes (1 or more).`)
  return n
}

function simPorts(value: string): Record<string, number> {
  const ports: Record<string, number> = {}
  for (const pair of value.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [id, n] = pair.split('=')
    if (!id || n === undefined) throw errors.manifest('NM_SIM_PORTS', `"${pair}" is not id=port (e.g. btc-a=18451).`)
    ports[id] = port('NM_SIM_PORTS', n)
  }
  return ports
}

// The checker reads nodes from a file; with moved simulator ports it gets a copy of nodes.json that follows them.
function writeMovedNodesFile(stateDir: string, ports: Partial<Record<string, number>>): string {
  const original = JSON.parse(readFileSync(EXAMPLE_NODES_FILE, 'utf8')) as { nodes: Array<{ id: string; port: number }> }
  const nodes = original.nodes.map((node) => ({ ...node, port: ports[node.id] ?? node.port }))
  mkdirSync(stateDir, { recursive: true })
  const file = join(stateDir, 'nodes.json')
  writeFileSync(file, JSON.stringify({ nodes }, null, 2) + '\n')
  return file
}
