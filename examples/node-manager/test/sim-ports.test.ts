// Regression (issue 22 §4): the store outlives a run (the file store, and the graph's Redis with its append-only file in
// the state dir), so moved simulator ports (NM_SIM_PORTS) must replace the nodes it loaded from the previous nodes file,
// or getBestNode answers "no online node" on the next `svc up`.
import { afterEach, describe, expect, it } from '@jest/globals'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ServicesManager } from '@services-cluster/core'
import { EXAMPLE_DIR, nodeManagerManifest, SIM_NODE_IDS } from '../manifest.ts'
import { freePorts } from './helpers/ports.ts'
import { redisServerForTests } from './helpers/redis.ts'

interface Node {
  id: string
  config: { port: number }
}

// The file store always; the Redis one where redis-server is installed (or CI requires it).
const stores = redisServerForTests('the node-manager moved-ports test on Redis') ? (['redis', 'file'] as const) : (['file'] as const)
let manager: ServicesManager | undefined
let dir: string | undefined
afterEach(async () => {
  await manager?.close()
  manager = undefined
  if (dir) await rm(dir, { recursive: true, force: true })
}, 30_000)

// chain-sim, the bootstrap and the checker only (the scheduler and gateway add nothing here), on free ports; with the
// graph's own Redis on a free port too, or the file store.
async function startChecker(stateDir: string, store: 'redis' | 'file'): Promise<{ manager: ServicesManager; ports: Record<string, number> }> {
  const [redisPort, ...free] = await freePorts(1 + SIM_NODE_IDS.length)
  const ports = Object.fromEntries(SIM_NODE_IDS.map((id, i) => [id, free[i]!]))
  const redis = store === 'redis' ? { port: redisPort! } : null
  const started = new ServicesManager(nodeManagerManifest({ simPorts: ports, stateDir, redis }), { cwd: EXAMPLE_DIR })
  manager = started
  await started.start(['checker'])
  return { manager: started, ports }
}

describe('moved simulator ports', () => {
  it.each(stores)('%s store: a restart with other simulator ports reloads the nodes file, keeping a node added at run time', async (store) => {
    dir = await mkdtemp(join(tmpdir(), 'nm-sim-ports-'))
    const first = await startChecker(dir, store)
    expect([first.ports['btc-a'], first.ports['btc-b']]).toContain(((await first.manager.call('checker', 'getBestNode', 'btc')) as Node).config.port)
    // A run-time addition: same endpoint as eth-a, another timeout, so another config.
    await first.manager.call('checker', 'addNode', { id: 'extra', type: 'eth', host: '127.0.0.1', port: first.ports['eth-a'], timeoutMs: 1500 })
    await first.manager.close()

    const second = await startChecker(dir, store)
    const best = (await second.manager.call('checker', 'getBestNode', 'btc')) as Node
    expect([second.ports['btc-a'], second.ports['btc-b']]).toContain(best.config.port)
    const nodes = (await second.manager.call('checker', 'getNodes')) as Node[]
    expect(nodes.map((n) => `${n.id}:${n.config.port}`).sort()).toEqual(
      [...SIM_NODE_IDS.map((id) => `${id}:${second.ports[id]}`), `extra:${first.ports['eth-a']}`].sort(),
    )
    expect(second.manager.logs('bootstrap').map((l) => l.line)).toEqual([
      expect.stringMatching(new RegExp(`nodes\\.json changed since the ${store} store was loaded from it: reloaded 5 nodes, replacing 5; kept 1 added at run time`)),
    ])
  }, 60_000)
})
