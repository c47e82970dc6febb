import { afterEach, describe, expect, it } from '@jest/globals'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { createChainNode, type ChainNode } from '../src/chain-sim/chain-node.ts'
import type { NodeType } from '../src/checker/node-config.ts'
import { probeNode } from '../src/checker/rpc-probe.ts'

const cleanup: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn()
})
async function sim(options: Parameters<typeof createChainNode>[0]): Promise<ChainNode> {
  const node = await createChainNode(options)
  cleanup.push(() => node.close())
  return node
}
const target = (type: NodeType, port: number, extra: { user?: string; pass?: string; timeoutMs?: number } = {}) => ({
  id: `${type}-test`,
  type,
  config: { host: '127.0.0.1', port, protocol: 'http' as const, timeoutMs: extra.timeoutMs ?? 2000, ...extra },
})

// A server that answers every request with a fixed reply, for malformed-node cases.
async function fixedServer(status: number, body: string): Promise<number> {
  const server = http.createServer((_req, res) => res.writeHead(status, { 'content-type': 'application/json' }).end(body))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanup.push(() => new Promise((resolve) => server.close(() => resolve())))
  return (server.address() as AddressInfo).port
}

describe('probeNode', () => {
  it('reads a btc height with basic auth, and an ltc one the same way', async () => {
    const node = await sim({ kind: 'btc', startBlock: 812_345, user: 'rpc', pass: 's3cret' })
    for (const type of ['btc', 'ltc'] as const) {
      const result = await probeNode(target(type, node.port, { user: 'rpc', pass: 's3cret' }))
      expect(result).toMatchObject({ ok: true, block: 812_345 })
      expect(result.latencyMs).toBeGreaterThanOrEqual(0)
    }
  })

  it('reads an eth height from hex', async () => {
    const node = await sim({ kind: 'eth', startBlock: 19_000_000 })
    expect(await probeNode(target('eth', node.port))).toMatchObject({ ok: true, block: 19_000_000 })
  })

  it('reports rejected credentials as an auth error, not a generic failure', async () => {
    const node = await sim({ kind: 'btc', user: 'rpc', pass: 's3cret' })
    const result = await probeNode(target('btc', node.port, { user: 'rpc', pass: 'wrong' }))
    expect(result).toMatchObject({
      ok: false,
      error: { code: 'SVC_ERR_NM_PROBE_AUTH', message: 'Node "btc-test" rejected the credentials (HTTP 401). Check its user and pass.' },
    })
  })

  it('gives up on a stalled node after the timeout', async () => {
    const node = await sim({ kind: 'eth' })
    node.stall()
    const result = await probeNode(target('eth', node.port), { timeoutMs: 150 })
    expect(result).toMatchObject({
      ok: false,
      error: { code: 'SVC_ERR_NM_PROBE_TIMEOUT', message: 'Node "eth-test" did not answer within 150 ms.' },
    })
    expect(result.latencyMs).toBeGreaterThanOrEqual(140)
  })

  it('reports a node that is down as unreachable', async () => {
    const node = await sim({ kind: 'btc' })
    await node.down()
    const result = await probeNode(target('btc', node.port))
    expect(result).toMatchObject({ ok: false, error: { code: 'SVC_ERR_NM_PROBE_UNREACHABLE' } })
    expect(!result.ok && result.error.message).toContain(`at http://127.0.0.1:${node.port}/ is unreachable (connect ECONNREFUSED`)
  })

  it('stops at once when the checker closes', async () => {
    const node = await sim({ kind: 'btc' })
    node.stall()
    const controller = new AbortController()
    const pending = probeNode(target('btc', node.port, { timeoutMs: 30_000 }), { signal: controller.signal })
    await new Promise<void>((resolve) => node.server.once('request', () => resolve()))
    controller.abort()
    expect(await pending).toMatchObject({ ok: false, error: { code: 'SVC_ERR_NM_PROBE_ABORTED' } })
  })

  it.each([
    [500, '{"result":null,"error":{"code":-28,"message":"Loading block index..."},"id":1}', 'SVC_ERR_NM_PROBE_RPC', 'JSON-RPC error -28: Loading block index...'],
    [502, '<html>bad gateway</html>', 'SVC_ERR_NM_PROBE_HTTP', 'answered HTTP 502'],
    [200, 'not json', 'SVC_ERR_NM_PROBE_BAD_RESPONSE', 'answer is not JSON'],
    [200, '{"result":"0x10","error":null,"id":1}', 'SVC_ERR_NM_PROBE_BAD_RESPONSE', 'does not match request id'],
  ])('turns HTTP %i %s into %s', async (status, body, code, message) => {
    const port = await fixedServer(status, body)
    const result = await probeNode(target('btc', port))
    expect(result).toMatchObject({ ok: false, error: { code, message: expect.stringContaining(message) } })
  })

  it('rejects a height that is not one', async () => {
    const server = http.createServer((req, res) => {
      let body = ''
      req.on('data', (chunk) => (body += chunk))
      req.on('end', () => res.end(JSON.stringify({ jsonrpc: '2.0', id: JSON.parse(body).id, result: 'latest' })))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    cleanup.push(() => new Promise((resolve) => server.close(() => resolve())))
    const result = await probeNode(target('eth', (server.address() as AddressInfo).port))
    expect(result).toMatchObject({ ok: false, error: { message: expect.stringContaining('eth_blockNumber returned "latest", not a block height') } })
  })
})
