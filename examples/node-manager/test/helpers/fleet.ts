// A small fleet of simulated nodes plus a matching nodes file in a temp dir, torn down in one call.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startSimulation, type Simulation } from '../../src/chain-sim/simulation.ts'

export interface Fleet {
  sim: Simulation
  dir: string
  nodesFile: string
  close(): Promise<void>
}

// btc-a, btc-b follow one btc chain (with auth); eth-a, eth-b one eth chain. Blocks only on advance().
export async function startFleet(): Promise<Fleet> {
  const sim = await startSimulation({
    host: '127.0.0.1',
    chains: { btc: { startBlock: 100, blockIntervalMs: 0 }, eth: { startBlock: 5000, blockIntervalMs: 0 } },
    nodes: [
      { id: 'btc-a', kind: 'btc', chain: 'btc', port: 0, user: 'u', pass: 'p' },
      { id: 'btc-b', kind: 'btc', chain: 'btc', port: 0, user: 'u', pass: 'p' },
      { id: 'eth-a', kind: 'eth', chain: 'eth', port: 0 },
      { id: 'eth-b', kind: 'eth', chain: 'eth', port: 0 },
    ],
  })
  const dir = await mkdtemp(join(tmpdir(), 'nm-fleet-'))
  const nodes = sim.api.list().map(({ id, kind, port }) => ({
    id,
    type: kind,
    host: '127.0.0.1',
    port,
    timeoutMs: 300,
    ...(kind === 'btc' ? { user: 'u', pass: 'p' } : {}),
  }))
  const nodesFile = join(dir, 'nodes.json')
  await writeFile(nodesFile, JSON.stringify({ nodes }))
  return {
    sim,
    dir,
    nodesFile,
    async close() {
      await sim.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}
