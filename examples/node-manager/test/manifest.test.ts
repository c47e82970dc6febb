// The manifest factory and its environment variables, without starting anything.
import { afterEach, describe, expect, it } from '@jest/globals'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { normalizeManifest } from '@services-cluster/core'
import { DEFAULT_GATEWAY_PORT, EXAMPLE_DIR, EXAMPLE_NODES_FILE, nodeManagerManifest, optionsFromEnv } from '../manifest.ts'

const dirs: string[] = []
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true })
})

describe('nodeManagerManifest', () => {
  it('wires chain-sim → checker → scheduler → gateway, with the gateway on 8545 and no Redis by default', () => {
    const manifest = nodeManagerManifest()
    const resolved = normalizeManifest(manifest, EXAMPLE_DIR)
    expect(resolved.stateDir).toBe(join(EXAMPLE_DIR, '.svc'))
    expect(resolved.graph.names).toEqual(['chain-sim', 'checker', 'scheduler', 'gateway'])
    const { checker, scheduler, gateway } = manifest.services
    expect(checker.dependsOn).toEqual(['chain-sim'])
    expect(checker.config).toEqual({ nodesFile: EXAMPLE_NODES_FILE, store: { kind: 'file', path: join(EXAMPLE_DIR, '.svc/checker-store.jsonl') } })
    expect(scheduler.dependsOn).toEqual(['checker'])
    expect(scheduler.config.tasks).toEqual([{ name: 'check', every: '5s', call: { service: 'checker', method: 'check', args: [] }, timeoutMs: 15_000 }])
    expect(gateway.dependsOn).toEqual(['checker', 'scheduler'])
    expect(gateway.config.port).toBe(DEFAULT_GATEWAY_PORT)
    expect(gateway.config).not.toHaveProperty('redis')
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
    const { nodes } = JSON.parse(await readFile(nodesFile, 'utf8')) as { nodes: Array<{ id: string; port: number; user?: string }> }
    expect(nodes.map((n) => `${n.id}:${n.port}`)).toEqual(['btc-a:40001', 'btc-b:18452', 'ltc-a:18461', 'eth-a:18471', 'eth-b:40002'])
    expect(nodes[0]!.user).toBe('sim')
    expect(() => nodeManagerManifest({ simPorts: { 'xrp-a': 1 } })).toThrow(expect.objectContaining({ code: 'SVC_ERR_NM_MANIFEST' }))
  })

  it('drops chain-sim for real nodes, and passes Redis, token and store choices on', () => {
    const manifest = nodeManagerManifest({
      simulate: false,
      gatewayToken: 't0k',
      redis: { url: 'redis://10.0.0.1:6379' },
      store: { kind: 'redis', prefix: 'nm-test:' },
    })
    expect(Object.keys(manifest.services)).toEqual(['checker', 'scheduler', 'gateway'])
    expect(manifest.services.checker.dependsOn).toEqual([])
    expect(manifest.services.checker.config.store).toEqual({ kind: 'redis', prefix: 'nm-test:' })
    expect(manifest.services.gateway.config).toMatchObject({ token: 't0k', redis: { url: 'redis://10.0.0.1:6379', channel: 'node-manager' } })
  })
})

describe('optionsFromEnv', () => {
  it('is empty for an empty environment (svc up needs no Redis)', () => {
    expect(optionsFromEnv({})).toEqual({})
  })

  it('reads ports, state dir and schedule', () => {
    expect(optionsFromEnv({ NM_GATEWAY_PORT: '0', NM_SIM_PORTS: 'btc-a=1, eth-b=2', NM_STATE_DIR: '/tmp/x', NM_CHECK_EVERY: '1s' })).toEqual({
      gatewayPort: 0,
      simPorts: { 'btc-a': 1, 'eth-b': 2 },
      stateDir: '/tmp/x',
      checkEvery: '1s',
    })
  })

  it('turns the Redis channel on with REDIS_URL or NM_REDIS, and off with NM_REDIS=0', () => {
    expect(optionsFromEnv({ REDIS_URL: 'redis://r:1' }).redis).toEqual({ url: 'redis://r:1' })
    expect(optionsFromEnv({ NM_REDIS: '1' }).redis).toEqual({ url: 'redis://127.0.0.1:6379' })
    expect(optionsFromEnv({ NM_REDIS: 'redis://q:2', NM_REDIS_CHANNEL: 'pg_nm:master' }).redis).toEqual({ url: 'redis://q:2', channel: 'pg_nm:master' })
    expect(optionsFromEnv({ NM_REDIS: 'off', REDIS_URL: 'redis://r:1' }).redis).toBeUndefined()
    expect(optionsFromEnv({ NM_STORE: 'redis', REDIS_URL: 'redis://r:1' }).store).toEqual({ kind: 'redis', url: 'redis://r:1' })
  })

  it('refuses values it cannot use, naming the variable', () => {
    for (const env of [{ NM_GATEWAY_PORT: '85a' }, { NM_REDIS: 'maybe' }, { NM_STORE: 'sqlite' }, { NM_SIM_PORTS: 'btc-a' }]) {
      const variable = Object.keys(env)[0]
      expect(() => optionsFromEnv(env)).toThrow(expect.objectContaining({ code: 'SVC_ERR_NM_MANIFEST', details: { variable } }))
    }
  })
})
