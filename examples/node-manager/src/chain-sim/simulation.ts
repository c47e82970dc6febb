// A set of simulated nodes over shared chains, addressed by id — what the chain-sim service serves.
import { errors } from '../errors.ts'
import { createChain, type Chain } from './chain.ts'
import { createChainNode, type ChainNode, type ChainNodeInfo } from './chain-node.ts'
import type { SimConfig } from './sim-config.ts'

export interface Simulation {
  nodes: ReadonlyMap<string, ChainNode>
  api: SimulationApi
  close(): Promise<void>
}

export type SimulationApi = ReturnType<typeof makeApi>

export async function startSimulation(config: SimConfig): Promise<Simulation> {
  const chains = new Map<string, Chain>()
  const nodes = new Map<string, ChainNode>()
  const close = async () => {
    await Promise.all([...nodes.values()].map((node) => node.close()))
    for (const chain of chains.values()) chain.close()
  }
  try {
    for (const [name, chain] of Object.entries(config.chains)) chains.set(name, createChain({ ...chain, name }))
    for (const node of config.nodes) {
      const started = await createChainNode({ ...node, chain: chains.get(node.chain)!, host: config.host }).catch(
        (error: NodeJS.ErrnoException) => {
          if (error.code !== 'EADDRINUSE') throw error
          throw errors.simConfig(
            `port ${node.port} for simulated node "${node.id}" is in use. Is another copy of the example running? ` +
              'Change the port in the chain-sim config and in nodes.json.',
          )
        },
      )
      nodes.set(node.id, started)
    }
  } catch (error) {
    await close()
    throw error
  }
  return { nodes, api: makeApi(nodes), close }
}

function makeApi(nodes: ReadonlyMap<string, ChainNode>) {
  const get = (id: string): ChainNode => {
    const node = nodes.get(id)
    if (!node) throw errors.simUnknownNode(id, [...nodes.keys()])
    return node
  }
  // Counts may arrive as strings from a command line (`svc call chain-sim lag btc-a 5`).
  const count = (method: string, value: unknown): number => {
    const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value
    if (!Number.isSafeInteger(n) || (n as number) < 0) throw errors.simBadCall(method, `blocks must be an integer ≥ 0, got ${JSON.stringify(value)}.`)
    return n as number
  }
  return {
    list(): Array<ChainNodeInfo & { id: string }> {
      return [...nodes].map(([id, node]) => ({ id, ...node.info() }))
    },
    lag(id: string, blocks: number | string = 0): ChainNodeInfo {
      get(id).lag(count('lag', blocks))
      return get(id).info()
    },
    stall(id: string): ChainNodeInfo {
      if (get(id).state === 'down') throw errors.simBadCall('stall', `node "${id}" is down; call up("${id}") first.`)
      get(id).stall()
      return get(id).info()
    },
    async down(id: string): Promise<ChainNodeInfo> {
      await get(id).down()
      return get(id).info()
    },
    async up(id: string): Promise<ChainNodeInfo> {
      await get(id).up()
      return get(id).info()
    },
    /** Mines blocks on the chain node `id` follows (every node of that chain sees them). */
    advance(id: string, blocks: number | string = 1): ChainNodeInfo {
      get(id).advance(count('advance', blocks))
      return get(id).info()
    },
  }
}
