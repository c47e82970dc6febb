// The JSON-RPC methods a simulated node answers, per dialect. Only what a health checker and a curious
// human need: heights, hashes and a chain-info summary.
export type ChainKind = 'btc' | 'eth'

export interface ChainView {
  height: number
  blockHash(height: number): string
  chainName: string
}

export type RpcOutcome = { result: unknown } | { error: { code: number; message: string } }

const METHOD_NOT_FOUND = -32601
const INVALID_PARAMS = -32602

type Method = (params: unknown[], view: ChainView) => RpcOutcome

const BITCOIN_METHODS: Record<string, Method> = {
  getblockcount: (_params, view) => ({ result: view.height }),
  getbestblockhash: (_params, view) => ({ result: view.blockHash(view.height) }),
  getblockhash: ([at], view) =>
    Number.isInteger(at) && (at as number) >= 0 && (at as number) <= view.height
      ? { result: view.blockHash(at as number) }
      : { error: { code: -8, message: 'Block height out of range' } },
  getblockchaininfo: (_params, view) => ({
    result: {
      chain: 'main',
      blocks: view.height,
      headers: view.height,
      bestblockhash: view.blockHash(view.height),
      initialblockdownload: false,
      warnings: `simulated by chain-sim (${view.chainName})`,
    },
  }),
}

const ETHEREUM_METHODS: Record<string, Method> = {
  eth_blockNumber: (_params, view) => ({ result: toHex(view.height) }),
  eth_syncing: () => ({ result: false }),
  eth_chainId: () => ({ result: '0x1' }),
  net_version: () => ({ result: '1' }),
  web3_clientVersion: (_params, view) => ({ result: `chain-sim/1.0 (${view.chainName})` }),
  eth_getBlockByNumber: ([tag], view) => {
    const at = tag === 'latest' ? view.height : typeof tag === 'string' ? Number.parseInt(tag, 16) : Number.NaN
    if (!Number.isInteger(at) || at < 0 || at > view.height) return { result: null }
    return { result: { number: toHex(at), hash: '0x' + view.blockHash(at), parentHash: '0x' + view.blockHash(Math.max(0, at - 1)) } }
  },
}

export function callMethod(kind: ChainKind, method: unknown, params: unknown, view: ChainView): RpcOutcome {
  const table = kind === 'btc' ? BITCOIN_METHODS : ETHEREUM_METHODS
  if (typeof method !== 'string' || !Object.hasOwn(table, method)) {
    return { error: { code: METHOD_NOT_FOUND, message: `Method not found: ${String(method)}` } }
  }
  if (params !== undefined && !Array.isArray(params)) return { error: { code: INVALID_PARAMS, message: 'params must be an array' } }
  return table[method]!((params as unknown[] | undefined) ?? [], view)
}

function toHex(n: number): string {
  return '0x' + n.toString(16)
}
