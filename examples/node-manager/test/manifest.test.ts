// The manifest factory and its environment variables, without starting anything.
import { afterEach, describe, expect, it } from '@jest/globals'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { normalizeManifest } from '@services-cluster/core'
import { DEFAULT_GATEWAY_PORT, DEFAULT_REDIS_PORT, EXAMPLE_DIR, EXAMPLE_NODES_FILE, nodeManagerManifest, optionsFromEnv } from '../manifest.ts'

const dirs: string[] = []
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true })
})

describe('nodeManagerManifest', () => {
  it('wires redis → bootstrap (one-shot) → checker → scheduler → gateway, with Redis on 6390 and the gateway on 8545 by default', () => {
    const manifest = nodeManagerManifest()
    const resolved = normalizeManifest(manifest, EXAMPLE_DIR)
    expect(resolved.stateDir).toBe(join(EXAMPLE_DIR, '.svc'))
    expect(resolved.graph.names).toEqual(['redis', 'chain-sim', 'bootstrap', 'checker', 'scheduler', 'gateway'])
    const { redis, bootstrap, checker, scheduler, gateway } = manifest.services
    expect(redis).toMatchObject({ ready: { tcp: DEFAULT_REDIS_PORT } })
    expect(redis!.command.slice(0, 5)).toEqual(['redis-server', '--port', '6390', '--bind', '127.0.0.1'])
    const store = { kind: 'redis', url: 'redis://127.0.0.1:6390', prefix: 'nm:' }
    expect(bootstrap).toMatchObject({ oneshot: true, dependsOn: ['redis'], cwd: EXAMPLE_DIR })
    expect(JSON.parse(bootstrap.env.NM_CHECKER_CONFIG)).toEqual({ nodesFile: EXAMPLE_NODES_FILE, store })
    expect(checker.dependsOn).toEqual({ 'chain-sim': 'ready', redis: 'ready', bootstrap: 'completed' })
    expect(checker.config).toEqual({ nodesFile: EXAMPLE_NODES_FILE, store, bootstrapOnStart: false })
    expect(scheduler.dependsOn).toEqual(['checker'])
    expect(scheduler.config.tasks).toEqual([{ name: 'check', every: '5s', call: { service: 'checker', method: 'check', args: [] }, timeoutMs: 15_000 }])
    expect(gateway.dependsOn).toEqual(['checker', 'scheduler', 'redis'])
    expect(gateway.listen).toEqual({ port: DEFAULT_GATEWAY_PORT, host: '127.0.0.1' }) // held by the manager
    expect(gateway.instances).toBe(2) // two processes on that port
    expect(nodeManagerManifest({ gatewayInstances: 1 }).services.gateway.instances).toBe(1)
    expect(resolved.services.find((s) => s.name === 'gateway')!.listen).toEqual({ port: DEFAULT_GATEWAY_PORT, host: '127.0.0.1' })
    expect(gateway.config.redis).toEqual({ url: 'redis://127.0.0.1:6390', channel: 'node-manager' })
    // Every exposed method belongs to a service the gateway depends on.
    const exposedServices = new Set(gateway.config.expose.map(({ pattern }) => pattern.slice(0, pattern.lastIndexOf('.'))))
    expect([...exposedServices].every((s) => (gateway.dependsOn as readonly string[]).includes(s))).toBe(true)
  })

  it('moves the simulators: chain-sim listens on the given ports and the checker gets a nodes file that follows them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nm-manifest-'))
    dirs.push(dir)
    const manifest = nodeManagerManifest({ stateDir: dir, simPorts: { 'btc-a': 40001, 'eth-b': 40002 } })
    const sim = manifest.services['chain-sim']!.config.nodes.map((n) => `${n.id}:${n.port}`)
    expect(sim).toEqual(['btc-a:40001', 'btc-b:18452', 'ltc-a:18461', 'eth-a:18471', 'eth-b:40002'])
    const nodesFile = manifest.services.checker.config.nodesFile
    expect(nodesFile).toBe(join(dir, 'nodes.json'))
    expect(JSON.parse(manifest.services.bootstrap.env.NM_CHECKER_CONFIG).nodesFile).toBe(nodesFile)
    const { nodes } = JSON.parse(await readFile(nodesFile, 'utf8')) as { nodes: Array<{ id: string; port: number; user?: string }> }
    expect(nodes.map((n) => `${n.id}:${n.port}`)).toEqual(['btc-a:40001', 'btc-b:18452', 'ltc-a:18461', 'eth-a:18471', 'eth-b:40002'])
    expect(nodes[0]!.user).toBe('sim')
    expect(() => nodeManagerManifest({ simPorts: { 'xrp-a': 1 } })).toThrow(expect.objectContaining({ code: 'SVC_ERR_NM_MANIFEST' }))
  })

  it('uses a Redis you run instead of its own: no redis service, and the store and channel get that URL', () => {
    const manifest = nodeManagerManifest({
      simulate: false,
      gatewayToken: 't0k',
      redis: { url: 'redis://10.0.0.1:6379' },
      redisChannel: { name: 'pg_nm:master' },
      store: { kind: 'redis', prefix: 'nm-test:' },
    })
    expect(Object.keys(manifest.services)).toEqual(['bootstrap', 'checker', 'scheduler', 'gateway'])
    expect(manifest.services.bootstrap.dependsOn).toEqual([])
    expect(manifest.services.checker.dependsOn).toEqual({ bootstrap: 'completed' })
    expect(manifest.services.checker.config.store).toEqual({ kind: 'redis', url: 'redis://10.0.0.1:6379', prefix: 'nm-test:' })
    expect(manifest.services.gateway.dependsOn).toEqual(['checker', 'scheduler'])
    expect(manifest.services.gateway.config).toMatchObject({ token: 't0k', redis: { url: 'redis://10.0.0.1:6379', channel: 'pg_nm:master' } })
  })

  it('runs without Redis when told to: the file store, no Redis channel, and still the bootstrap one-shot', () => {
    const manifest = nodeManagerManifest({ redis: null, stateDir: '/tmp/nm-no-redis' })
    expect(Object.keys(manifest.services)).toEqual(['chain-sim', 'bootstrap', 'checker', 'scheduler', 'gateway'])
    expect(manifest.services.checker.config.store).toEqual({ kind: 'file', path: '/tmp/nm-no-redis/checker-store.jsonl' })
    expect(manifest.services.checker.dependsOn).toEqual({ 'chain-sim': 'ready', bootstrap: 'completed' })
    expect(manifest.services.gateway.config).not.toHaveProperty('redis')
    expect(() => nodeManagerManifest({ redis: null, store: { kind: 'redis' } })).toThrow(expect.objectContaining({ code: 'SVC_ERR_NM_MANIFEST' }))
    expect(() => nodeManagerManifest({ redis: { port: 0 } })).toThrow(expect.objectContaining({ details: { variable: 'redis.port' } }))
  })
})

describe('optionsFromEnv', () => {
  it('is empty for an empty environment (the graph runs its own Redis)', () => {
    expect(optionsFromEnv({})).toEqual({})
    // REDIS_URL belongs to the developer's other tools; the example only reads NM_REDIS.
    expect(optionsFromEnv({ REDIS_URL: 'redis://r:1' })).toEqual({})
  })

  it('reads ports, state dir and schedule', () => {
    expect(optionsFromEnv({ NM_GATEWAY_PORT: '0', NM_GATEWAY_INSTANCES: '3', NM_SIM_PORTS: 'btc-a=1, eth-b=2', NM_STATE_DIR: '/tmp/x', NM_CHECK_EVERY: '1s' })).toEqual({
      gatewayPort: 0,
      gatewayInstances: 3,
      simPorts: { 'btc-a': 1, 'eth-b': 2 },
      stateDir: '/tmp/x',
      checkEvery: '1s',
    })
  })

  it('picks the Redis: its own on NM_REDIS_PORT, a URL given in NM_REDIS, or none with NM_REDIS=0', () => {
    expect(optionsFromEnv({ NM_REDIS_PORT: '16390' }).redis).toEqual({ port: 16390 })
    expect(optionsFromEnv({ NM_REDIS: '1' }).redis).toBeUndefined()
    expect(optionsFromEnv({ NM_REDIS: 'redis://q:2', NM_REDIS_CHANNEL: 'pg_nm:master' })).toEqual({ redis: { url: 'redis://q:2' }, redisChannel: { name: 'pg_nm:master' } })
    expect(optionsFromEnv({ NM_REDIS: 'off' })).toEqual({ redis: null })
    expect(optionsFromEnv({ NM_REDIS: 'off', NM_STORE: 'file' })).toEqual({ redis: null, store: { kind: 'file' } })
    expect(optionsFromEnv({ NM_STORE: 'redis' }).store).toEqual({ kind: 'redis' })
  })

  it('refuses values it cannot use, naming the variable', () => {
    const bad = [{ NM_GATEWAY_PORT: '85a' }, { NM_GATEWAY_INSTANCES: '0' }, { NM_REDIS: 'maybe' }, { NM_REDIS_PORT: '0' }, { NM_STORE: 'sqlite' }, { NM_SIM_PORTS: 'btc-a' }]
    for (const env of bad) {
      const variable = Object.keys(env)[0]
      expect(() => optionsFromEnv(env)).toThrow(expect.objectContaining({ code: 'SVC_ERR_NM_MANIFEST', details: { variable } }))
    }
    expect(() => optionsFromEnv({ NM_REDIS: '0', NM_STORE: 'redis' })).toThrow(expect.objectContaining({ details: { variable: 'NM_STORE' } }))
  })
})
