// One health probe: ask a node for its block height over HTTP JSON-RPC, with a hard deadline.
// btc/ltc speak bitcoind's JSON-RPC 1.0 (`getblockcount`, basic auth); eth speaks JSON-RPC 2.0
// (`eth_blockNumber`, a hex string). A probe never throws: failure is a result with a coded error.
import http from 'node:http'
import https from 'node:https'
import { performance } from 'node:perf_hooks'
import { errors, NodeManagerError } from '../errors.ts'
import { nodeUrl, type NodeConfig, type NodeType } from './node-config.ts'

export interface ProbeTarget {
  id: string
  type: NodeType
  config: NodeConfig
}

export type ProbeResult =
  | { ok: true; block: number; latencyMs: number }
  | { ok: false; error: NodeManagerError; latencyMs: number }

export interface ProbeOptions {
  /** Deadline for the whole exchange (connect, send, answer). Defaults to the node's own timeoutMs. */
  timeoutMs?: number
  signal?: AbortSignal
}

const MAX_BODY_BYTES = 1 << 20

interface Dialect {
  method: string
  body(id: number): string
  contentType: string
  parseHeight(result: unknown): number | undefined
}

const BITCOIN: Dialect = {
  method: 'getblockcount',
  body: (id) => JSON.stringify({ jsonrpc: '1.0', id, method: 'getblockcount', params: [] }),
  contentType: 'text/plain',
  parseHeight: (result) => (Number.isSafeInteger(result) && (result as number) >= 0 ? (result as number) : undefined),
}

const ETHEREUM: Dialect = {
  method: 'eth_blockNumber',
  body: (id) => JSON.stringify({ jsonrpc: '2.0', id, method: 'eth_blockNumber', params: [] }),
  contentType: 'application/json',
  parseHeight: (result) =>
    typeof result === 'string' && /^0x[0-9a-f]{1,13}$/i.test(result) ? Number.parseInt(result, 16) : undefined,
}

const DIALECTS: Record<NodeType, Dialect> = { btc: BITCOIN, ltc: BITCOIN, eth: ETHEREUM }

let nextRequestId = 1

export async function probeNode(target: ProbeTarget, options: ProbeOptions = {}): Promise<ProbeResult> {
  const started = performance.now()
  const elapsed = () => Math.round((performance.now() - started) * 10) / 10
  try {
    const block = await requestHeight(target, options.timeoutMs ?? target.config.timeoutMs, options.signal)
    return { ok: true, block, latencyMs: elapsed() }
  } catch (error) {
    const coded =
      error instanceof NodeManagerError ? error : errors.probeUnreachable(target.id, nodeUrl(target.config), error)
    return { ok: false, error: coded, latencyMs: elapsed() }
  }
}

function requestHeight(target: ProbeTarget, timeoutMs: number, signal?: AbortSignal): Promise<number> {
  const { config } = target
  const dialect = DIALECTS[target.type]
  const id = nextRequestId++
  const body = dialect.body(id)
  const headers: http.OutgoingHttpHeaders = {
    'content-type': dialect.contentType,
    'content-length': Buffer.byteLength(body),
  }
  if (config.user !== undefined) {
    headers.authorization = 'Basic ' + Buffer.from(`${config.user}:${config.pass ?? ''}`).toString('base64')
  }
  const transport = config.protocol === 'https' ? https : http
  return new Promise<number>((resolve, reject) => {
    // agent: false — a fresh connection per probe, so a node that went down is seen as down at once
    // and no pooled socket keeps the process alive.
    const req = transport.request(
      { host: config.host, port: config.port, path: '/', method: 'POST', headers, agent: false },
      (res) => {
        const chunks: Buffer[] = []
        let size = 0
        res.on('data', (chunk: Buffer) => {
          size += chunk.length
          if (size > MAX_BODY_BYTES) req.destroy(errors.probeBadResponse(target.id, `answer larger than ${MAX_BODY_BYTES} bytes`))
          else chunks.push(chunk)
        })
        res.on('end', () => {
          try {
            resolve(readHeight(target, dialect, id, res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8')))
          } catch (error) {
            reject(error)
          }
        })
        res.on('error', reject)
      },
    )
    const timer = setTimeout(() => req.destroy(errors.probeTimeout(target.id, timeoutMs)), timeoutMs)
    const onAbort = () => req.destroy(errors.probeAborted(target.id))
    signal?.addEventListener('abort', onAbort, { once: true })
    req.on('error', reject)
    req.on('close', () => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
    })
    req.end(body)
  })
}

function readHeight(target: ProbeTarget, dialect: Dialect, id: number, status: number, text: string): number {
  if (status === 401 || status === 403) throw errors.probeAuth(target.id, status)
  let reply: { result?: unknown; error?: { code?: unknown; message?: unknown } | null; id?: unknown }
  try {
    reply = JSON.parse(text)
  } catch {
    if (status !== 200) throw errors.probeHttp(target.id, status)
    throw errors.probeBadResponse(target.id, `${dialect.method} answer is not JSON (${JSON.stringify(text.slice(0, 60))})`)
  }
  if (reply?.error) throw errors.probeRpc(target.id, dialect.method, reply.error.code, reply.error.message)
  if (status !== 200) throw errors.probeHttp(target.id, status)
  if (reply?.id !== id) throw errors.probeBadResponse(target.id, `answer id ${JSON.stringify(reply?.id)} does not match request id ${id}`)
  const height = dialect.parseHeight(reply.result)
  if (height === undefined) {
    throw errors.probeBadResponse(target.id, `${dialect.method} returned ${JSON.stringify(reply.result)}, not a block height`)
  }
  return height
}
