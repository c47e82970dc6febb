// The chain-sim service's config: chains (tip height and block rate) and the nodes that serve them.
// The defaults match ../../nodes.json, so the example's checker finds the simulators out of the box.
import { errors } from '../errors.ts'
import type { ChainKind } from './rpc-methods.ts'

export interface SimChainConfig {
  startBlock: number
  blockIntervalMs: number
}

export interface SimNodeConfig {
  id: string
  kind: ChainKind
  /** Name of the chain in `chains` this node follows. */
  chain: string
  port: number
  user?: string
  pass?: string
}

export interface SimConfig {
  host: string
  chains: Record<string, SimChainConfig>
  nodes: SimNodeConfig[]
}

export const DEFAULT_SIM_CONFIG: SimConfig = {
  host: '127.0.0.1',
  chains: {
    btc: { startBlock: 850_000, blockIntervalMs: 3000 },
    ltc: { startBlock: 2_700_000, blockIntervalMs: 1500 },
    eth: { startBlock: 20_000_000, blockIntervalMs: 1000 },
  },
  nodes: [
    { id: 'btc-a', kind: 'btc', chain: 'btc', port: 18451, user: 'sim', pass: 'sim-pass' },
    { id: 'btc-b', kind: 'btc', chain: 'btc', port: 18452, user: 'sim', pass: 'sim-pass' },
    { id: 'ltc-a', kind: 'btc', chain: 'ltc', port: 18461, user: 'sim', pass: 'sim-pass' },
    { id: 'eth-a', kind: 'eth', chain: 'eth', port: 18471 },
    { id: 'eth-b', kind: 'eth', chain: 'eth', port: 18472 },
  ],
}

export function parseSimConfig(raw: unknown): SimConfig {
  if (raw === undefined || raw === null) return DEFAULT_SIM_CONFIG
  const input = raw as Partial<SimConfig>
  if (typeof input !== 'object' || Array.isArray(input)) throw errors.simConfig('expected {host?, chains, nodes}.')
  const chains = input.chains ?? DEFAULT_SIM_CONFIG.chains
  for (const [name, chain] of Object.entries(chains)) {
    if (!Number.isSafeInteger(chain?.startBlock) || chain.startBlock < 0) throw errors.simConfig(`chains.${name}.startBlock must be an integer ≥ 0.`)
    if (!Number.isSafeInteger(chain.blockIntervalMs) || chain.blockIntervalMs < 0) {
      throw errors.simConfig(`chains.${name}.blockIntervalMs must be an integer ≥ 0 (0: blocks only on advance()).`)
    }
  }
  const nodes = input.nodes ?? DEFAULT_SIM_CONFIG.nodes
  if (!Array.isArray(nodes)) throw errors.simConfig('"nodes" must be an array.')
  const ids = new Set<string>()
  for (const node of nodes) {
    const label = `node ${JSON.stringify(node?.id)}`
    if (typeof node?.id !== 'string' || node.id === '') throw errors.simConfig('every node needs a string "id".')
    if (ids.has(node.id)) throw errors.simConfig(`${label} appears twice.`)
    ids.add(node.id)
    if (node.kind !== 'btc' && node.kind !== 'eth') throw errors.simConfig(`${label}: kind must be "btc" or "eth" (ltc nodes use "btc").`)
    if (!Object.hasOwn(chains, node.chain)) throw errors.simConfig(`${label} follows chain "${node.chain}", which is not in "chains".`)
    if (!Number.isInteger(node.port) || node.port < 0 || node.port > 65535) throw errors.simConfig(`${label}: port must be 0-65535.`)
  }
  return { host: input.host ?? DEFAULT_SIM_CONFIG.host, chains, nodes }
}
