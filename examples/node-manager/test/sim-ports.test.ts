// Regression (issue 22 §4): the file store outlives a run, so moved simulator ports (NM_SIM_PORTS) must replace the
// nodes it loaded from the previous nodes file, or getBestNode answers "no online node" on the next `svc up`.
import { afterEach, expect, it } from '@jest/globals'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ServicesManager } from '@services-cluster/core'
import { EXAMPLE_DIR, nodeManagerManifest, SIM_NODE_IDS } from '../manifest.ts'
import { freePorts } from './helpers/ports.ts'

interface Node {
  id: string
  config: { port: number }
}

let manager: ServicesManager | undefined
let dir: string | undefined
afterEach(async () => {
  await manager?.close()
  manager = undefined
  if (dir) await rm(dir, { recursive: true, force: true })
}, 30_000)

// chain-sim and the checker only (the scheduler and gateway add nothing here), on the given ports.
async function startChecker(stateDir: string): Promise<{ manager: ServicesManager; ports: Record<string, number> }> {
  const free = await freePorts(SIM_NODE_IDS.length)
  const ports = Object.fromEntries(SIM_NODE_IDS.map((id, i) => [id, free[i]!]))
  const started = new ServicesManager(nodeManagerManifest({ simPorts: ports, stateDir }), { cwd: EXAMPLE_DIR })
  manager = started
  await started.start(['checker'])
  return { manager: started, ports }
}

it('a restart with other simulator ports reloads the nodes file, keeping a node added at run time', async () => {
  dir = await mkdtemp(join(tmpdir(), 'nm-sim-ports-'))
  const first = await startChecker(dir)
  expect([first.ports['btc-a'], first.ports['btc-b']]).toContain(((await first.manager.call('checker', 'getBestNode', 'btc')) as Node).config.port)
  // A run-time addition: same endpoint as eth-a, another timeout, so another config.
  await first.manager.call('checker', 'addNode', { id: 'extra', type: 'eth', host: '127.0.0.1', port: first.ports['eth-a'], timeoutMs: 1500 })
  await first.manager.close()

  const second = await startChecker(dir)
  const best = (await second.manager.call('checker', 'getBestNode', 'btc')) as Node
  expect([second.ports['btc-a'], second.ports['btc-b']]).toContain(best.config.port)
  const nodes = (await second.manager.call('checker', 'getNodes')) as Node[]
  expect(nodes.map((n) => `${n.id}:${n.config.port}`).sort()).toEqual(
    [...SIM_NODE_IDS.map((id) => `${id}:${second.ports[id]}`), `extra:${first.ports['eth-a']}`].sort(),
  )
  expect(second.manager.logs('checker').map((l) => l.line)).toContainEqual(
    expect.stringMatching(/nodes\.json changed since the file store was loaded from it: reloaded 5 nodes, replacing 5; kept 1 added at run time/),
  )
}, 60_000)
