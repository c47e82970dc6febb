// A simulated chain node: a real HTTP JSON-RPC server (bitcoind- or geth-style) on loopback, with
// controls to make it misbehave the ways real nodes do — fall behind, hang, or vanish.
//
//   state  up ──lag(n)──▶ up (frozen n blocks behind)      any ──up()──▶ up, following the chain
//          up ──stall()─▶ stalled (accepts, never answers)
//          up ──down()──▶ down (port closed)
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { debuglog } from 'node:util'
import { createChain, type Chain } from './chain.ts'
import { callMethod, type ChainKind, type RpcOutcome } from './rpc-methods.ts'

const debug = debuglog('svc:nm:chain-sim')
const MAX_BODY_BYTES = 1 << 20

export type ChainNodeState = 'up' | 'stalled' | 'down'

export interface ChainNodeOptions {
  kind: ChainKind
  /** Follow a shared chain; otherwise the node gets its own from startBlock/blockIntervalMs. */
  chain?: Chain
  startBlock?: number
  blockIntervalMs?: number
  /** When set, every request needs HTTP basic auth with these credentials (as bitcoind's rpcuser). */
  user?: string
  pass?: string
  host?: string
  /** 0 (default) picks a free port. */
  port?: number
}

export interface ChainNodeInfo {
  kind: ChainKind
  state: ChainNodeState
  url: string
  port: number
  height: number
  chainHeight: number
  lagging: boolean
}

export interface ChainNode {
  readonly kind: ChainKind
  readonly server: http.Server
  readonly chain: Chain
  readonly host: string
  readonly port: number
  readonly url: string
  readonly state: ChainNodeState
  /** The height this node reports (the chain's, unless lagging). */
  readonly height: number
  /** Freeze the reported height `n` blocks behind the chain tip (default 0: freeze where it is now). */
  lag(n?: number): void
  /** Keep accepting requests but never answer them, like a node stuck in I/O. */
  stall(): void
  /** Close the port; clients get "connection refused". */
  down(): Promise<void>
  /** Back to healthy: listening on the same port, answering, following the chain. */
  up(): Promise<void>
  /** Mine `n` blocks on this node's chain. */
  advance(n?: number): void
  info(): ChainNodeInfo
  close(): Promise<void>
}

export async function createChainNode(options: ChainNodeOptions): Promise<ChainNode> {
  const ownChain = options.chain === undefined
  const chain =
    options.chain ??
    createChain({ startBlock: options.startBlock, blockIntervalMs: options.blockIntervalMs, name: options.kind })
  const host = options.host ?? '127.0.0.1'
  const expectedAuth =
    options.user === undefined ? undefined : 'Basic ' + Buffer.from(`${options.user}:${options.pass ?? ''}`).toString('base64')
  let state: ChainNodeState = 'down'
  let frozenAt: number | undefined
  let port = options.port ?? 0
  let closed = false
  // Requests held by stall(); destroyed when the node goes down or comes back up.
  const held = new Set<http.ServerResponse>()

  const height = () => frozenAt ?? chain.height
  const view = { get height() { return height() }, blockHash: (at: number) => chain.blockHash(at), chainName: chain.name }

  const server = http.createServer((req, res) => {
    if (state === 'stalled') {
      held.add(res)
      res.on('close', () => held.delete(res))
      return
    }
    if (expectedAuth !== undefined && req.headers.authorization !== expectedAuth) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="jsonrpc"' }).end()
      return
    }
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST', 'content-type': 'text/plain' }).end('JSON-RPC only: POST a request body.\n')
      return
    }
    readBody(req).then(
      (body) => answer(res, body),
      () => res.writeHead(413).end(),
    )
  })

  function answer(res: http.ServerResponse, body: string): void {
    let request: unknown
    try {
      request = JSON.parse(body)
    } catch {
      return send(res, 500, reply(undefined, { error: { code: -32700, message: 'Parse error' } }))
    }
    if (Array.isArray(request)) {
      return send(res, 200, request.map((one) => reply(one, dispatch(one))))
    }
    const outcome = dispatch(request)
    // bitcoind signals errors with HTTP status codes too; geth always answers 200.
    const status = options.kind === 'btc' && 'error' in outcome ? (outcome.error.code === -32601 ? 404 : 500) : 200
    send(res, status, reply(request, outcome))
  }

  function dispatch(request: unknown): RpcOutcome {
    const { method, params } = (request ?? {}) as { method?: unknown; params?: unknown }
    return callMethod(options.kind, method, params, view)
  }

  // JSON-RPC 1.0 (btc) always carries both result and error; 2.0 (eth) carries exactly one.
  function reply(request: unknown, outcome: RpcOutcome): object {
    const id = (request as { id?: unknown } | undefined)?.id ?? null
    if (options.kind === 'btc') {
      return 'result' in outcome ? { result: outcome.result, error: null, id } : { result: null, error: outcome.error, id }
    }
    return { jsonrpc: '2.0', id, ...outcome }
  }

  async function listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, host, () => {
        server.off('error', reject)
        resolve()
      })
    })
    port = (server.address() as AddressInfo).port
    state = 'up'
  }

  async function stopListening(): Promise<void> {
    for (const res of held) res.destroy()
    held.clear()
    if (!server.listening) return
    const closing = new Promise<void>((resolve) => server.close(() => resolve()))
    server.closeAllConnections()
    await closing
  }

  await listen()
  debug('%s node up at %s:%d, height %d', options.kind, host, port, height())

  const node: ChainNode = {
    kind: options.kind,
    server,
    chain,
    host,
    get port() {
      return port
    },
    get url() {
      return `http://${host}:${port}/`
    },
    get state() {
      return state
    },
    get height() {
      return height()
    },
    lag(n = 0) {
      if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`lag(n) needs an integer ≥ 0, got ${n}`)
      frozenAt = Math.max(0, chain.height - n)
      debug('%s:%d lagging at %d', host, port, frozenAt)
    },
    stall() {
      if (state === 'down') throw new Error(`chain-sim node ${host}:${port} is down; call up() before stall().`)
      state = 'stalled'
      debug('%s:%d stalled', host, port)
    },
    async down() {
      state = 'down'
      await stopListening()
      debug('%s:%d down', host, port)
    },
    async up() {
      if (closed) throw new Error(`chain-sim node ${host}:${port} is closed.`)
      frozenAt = undefined
      for (const res of held) res.destroy()
      held.clear()
      if (state === 'down') await listen()
      state = 'up'
      debug('%s:%d up', host, port)
    },
    advance(n = 1) {
      chain.advance(n)
    },
    info: () => ({
      kind: options.kind,
      state,
      url: node.url,
      port,
      height: height(),
      chainHeight: chain.height,
      lagging: frozenAt !== undefined,
    }),
    async close() {
      if (closed) return
      closed = true
      state = 'down'
      await stopListening()
      if (ownChain) chain.close()
    },
  }
  return node
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_BODY_BYTES) reject(new Error('body too large'))
      else chunks.push(chunk)
    })
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text)
}
