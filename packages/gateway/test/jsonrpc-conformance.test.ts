// Every JSON-RPC 2.0 rule the gateway promises, over real HTTP against an in-process backend.

import { describe, expect, test } from '@jest/globals'
import { bestNode, coded, FakeBackend } from './helpers/fake-backend.js'
import { startGateway } from './helpers/gateway.js'
import { rpc } from './helpers/http.js'

// Pass NOTIFY as the id to build a notification (no id member at all).
const NOTIFY = Symbol('notification')
const req = (method: string, params?: unknown, id: unknown = 1) =>
  ({ jsonrpc: '2.0', method, ...(params === undefined ? {} : { params }), ...(id === NOTIFY ? {} : { id }) })

describe('single requests', () => {
  test('a call returns the result with the same id', async () => {
    const { base, backend } = await startGateway()
    const res = await rpc(base, req('checker.getBestNode', ['btc'], 7))
    expect(res.status).toBe(200)
    expect(res.headers['content-type']).toMatch(/^application\/json/)
    expect(res.json()).toEqual({ jsonrpc: '2.0', result: bestNode, id: 7 })
    expect(backend.calls[0]).toMatchObject({ service: 'checker', method: 'getBestNode', params: ['btc'] })
  })

  test.each([['abc'], [0], [-5.5], [null]])('id %p is echoed unchanged', async (id) => {
    const { base } = await startGateway()
    expect((await rpc(base, req('checker.echo', [1], id))).json()).toEqual({ jsonrpc: '2.0', result: [1], id })
  })

  test('params: an array is spread, an object is the single argument, absent means no arguments', async () => {
    const { base, backend } = await startGateway()
    await rpc(base, req('checker.echo', [1, 'two', { three: 3 }]))
    await rpc(base, req('checker.echo', { node_type: 'btc' }))
    await rpc(base, req('checker.echo'))
    expect(backend.calls.map((c) => c.params)).toEqual([[1, 'two', { three: 3 }], [{ node_type: 'btc' }], []])
  })

  test('a method returning undefined answers result null (result is mandatory)', async () => {
    const { base } = await startGateway({ expose: ['checker.*'] }, new FakeBackend({ 'checker.nothing': () => undefined }))
    expect((await rpc(base, req('checker.nothing'))).json()).toEqual({ jsonrpc: '2.0', result: null, id: 1 })
  })

  test('callTimeoutMs is passed to the backend call', async () => {
    const { base, backend } = await startGateway({ callTimeoutMs: 1234 })
    await rpc(base, req('checker.getBestNode', ['btc']))
    expect(backend.calls[0]!.options).toEqual({ timeoutMs: 1234 })
  })
})

describe('notifications', () => {
  test('a notification is executed and answered with 204 and no body', async () => {
    const { base, backend } = await startGateway()
    const res = await rpc(base, req('checker.echo', ['n'], NOTIFY))
    expect(res.status).toBe(204)
    expect(res.text).toBe('')
    await backend.waitForCalls(1)
    expect(backend.calls[0]!.params).toEqual(['n'])
  })

  test('a notification to an unexposed or failing method still gets no reply', async () => {
    const { base } = await startGateway({}, new FakeBackend({ 'checker.echo': () => { throw coded('SVC_ERR_X', 'x') } }))
    expect((await rpc(base, req('nope.nothing', [], NOTIFY))).status).toBe(204)
    expect((await rpc(base, req('checker.echo', [], NOTIFY))).status).toBe(204)
  })
})

describe('batches', () => {
  test('a mixed batch answers every request in order and leaves out notifications', async () => {
    const { base } = await startGateway()
    const res = await rpc(base, [
      req('checker.echo', ['a'], 1),
      req('checker.echo', ['notify'], NOTIFY),
      req('nope.method', [], 'x'),
      { foo: 'boo' },
      req('checker.getBestNode', ['btc'], 3),
    ])
    expect(res.status).toBe(200)
    const body = res.json()
    expect(body).toHaveLength(4)
    expect(body[0]).toEqual({ jsonrpc: '2.0', result: ['a'], id: 1 })
    expect(body[1]).toMatchObject({ error: { code: -32601 }, id: 'x' })
    expect(body[2]).toMatchObject({ error: { code: -32600 }, id: null })
    expect(body[3]).toEqual({ jsonrpc: '2.0', result: bestNode, id: 3 })
  })

  test('a batch of only notifications answers 204 with no body', async () => {
    const { base, backend } = await startGateway()
    const res = await rpc(base, [req('checker.echo', [1], NOTIFY), req('checker.echo', [2], NOTIFY)])
    expect(res.status).toBe(204)
    expect(res.text).toBe('')
    await backend.waitForCalls(2)
  })

  test('an empty batch is one Invalid Request error, not an array', async () => {
    const { base } = await startGateway()
    const body = (await rpc(base, [])).json()
    expect(body).toMatchObject({ jsonrpc: '2.0', error: { code: -32600 }, id: null })
  })

  test('a batch of non-objects answers an Invalid Request per element', async () => {
    const { base } = await startGateway()
    const body = (await rpc(base, [1, 2, 3])).json()
    expect(body).toHaveLength(3)
    for (const r of body) expect(r).toMatchObject({ error: { code: -32600, data: { code: 'SVC_ERR_GW_INVALID_REQUEST' } }, id: null })
  })

  test('a batch over maxBatch is refused as a whole', async () => {
    const { base, backend } = await startGateway({ maxBatch: 2 })
    const body = (await rpc(base, [req('checker.echo', [], 1), req('checker.echo', [], 2), req('checker.echo', [], 3)])).json()
    expect(body).toMatchObject({ error: { code: -32600, data: { code: 'SVC_ERR_GW_BATCH_TOO_LARGE', limit: 2 } }, id: null })
    expect(backend.calls).toHaveLength(0)
  })

  test('a batch given as invalid JSON is a single Parse error', async () => {
    const { base } = await startGateway()
    const body = (await rpc(base, '[{"jsonrpc": "2.0", "method": "checker.echo", "params": [1,2,4], "id": "1"},{"jsonrpc": "2.0", "method"]')).json()
    expect(body).toMatchObject({ jsonrpc: '2.0', error: { code: -32700, data: { code: 'SVC_ERR_GW_PARSE' } }, id: null })
  })
})

describe('invalid requests (-32700, -32600)', () => {
  test.each([
    ['not JSON', '{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]'],
    ['an empty body', ''],
  ])('%s is a Parse error with id null', async (_what, text) => {
    const { base } = await startGateway()
    expect((await rpc(base, text)).json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32700 }, id: null })
  })

  test.each([
    ['a missing jsonrpc member', { method: 'checker.echo', id: 4 }, 4],
    ['jsonrpc "1.0"', { jsonrpc: '1.0', method: 'checker.echo', id: 'a' }, 'a'],
    ['jsonrpc 2 as a number', { jsonrpc: 2, method: 'checker.echo', id: 5 }, 5],
    ['a non-string method', { jsonrpc: '2.0', method: 1, params: 'bar', id: 6 }, 6],
    ['an empty method', { jsonrpc: '2.0', method: '', id: 7 }, 7],
    ['string params', { jsonrpc: '2.0', method: 'checker.echo', params: 'bar', id: 8 }, 8],
    ['numeric params', { jsonrpc: '2.0', method: 'checker.echo', params: 42, id: 9 }, 9],
    ['an object id', { jsonrpc: '2.0', method: 'checker.echo', id: { a: 1 } }, null],
    ['a boolean id', { jsonrpc: '2.0', method: 'checker.echo', id: true }, null],
    ['a non-object request', 'just a string', null],
  ])('%s is an Invalid Request', async (_what, body, id) => {
    const { base, backend } = await startGateway()
    const res = (await rpc(base, JSON.stringify(body))).json()
    expect(res).toMatchObject({ jsonrpc: '2.0', error: { code: -32600, data: { code: 'SVC_ERR_GW_INVALID_REQUEST' } } })
    expect(res.id).toEqual(id)
    expect(backend.calls).toHaveLength(0)
  })
})

describe('method routing (-32601)', () => {
  test.each(['checker.addNode', 'other.getBestNode', 'getBestNode', 'checker.', '.x', 'rpc.discover', 'Checker.getBestNode'])(
    '%s is not reachable',
    async (method) => {
      const { base, backend } = await startGateway()
      const res = (await rpc(base, req(method, []))).json()
      expect(res).toMatchObject({ error: { code: -32601, data: { code: 'SVC_ERR_GW_METHOD_NOT_EXPOSED' } }, id: 1 })
      expect(backend.calls).toHaveLength(0)
    },
  )

  test('"service.*" exposes every public method of that service, never private or prototype names', async () => {
    const backend = new FakeBackend({ 'checker._secret': () => 's', 'checker.rmNode': () => 'removed' })
    const { base } = await startGateway({ expose: ['checker.*'] }, backend)
    expect((await rpc(base, req('checker.rmNode', ['h']))).json().result).toBe('removed')
    for (const method of ['checker._secret', 'checker.constructor', 'checker.toString', 'checker.__proto__']) {
      expect((await rpc(base, req(method, []))).json().error.code).toBe(-32601)
    }
    expect(backend.calls.map((c) => c.method)).toEqual(['rmNode'])
  })

  test('service names with dots split at the last dot', async () => {
    const backend = new FakeBackend({ 'pool.eu.size': () => 3 })
    const { base } = await startGateway({ expose: ['pool.eu.size'] }, backend)
    expect((await rpc(base, req('pool.eu.size'))).json().result).toBe(3)
    expect(backend.calls[0]).toMatchObject({ service: 'pool.eu', method: 'size' })
  })
})

describe('params rules (-32602)', () => {
  test('minParams / maxParams are enforced before the call', async () => {
    const { base, backend } = await startGateway({ expose: [{ pattern: 'checker.getBestNode', minParams: 1, maxParams: 1 }] })
    for (const params of [[], ['btc', 'extra']]) {
      const res = (await rpc(base, req('checker.getBestNode', params))).json()
      expect(res).toMatchObject({ error: { code: -32602, data: { code: 'SVC_ERR_GW_INVALID_PARAMS', expected: '1', got: params.length } }, id: 1 })
    }
    expect(backend.calls).toHaveLength(0)
    expect((await rpc(base, req('checker.getBestNode', ['btc']))).json().result).toEqual(bestNode)
    expect((await rpc(base, req('checker.getBestNode', { node_type: 'btc' }))).json().result).toEqual(bestNode)
  })
})

describe('service errors (server-error range)', () => {
  const backend = () =>
    new FakeBackend({
      'checker.coded': () => { throw coded('SVC_ERR_CHECKER_BAD_TYPE', 'Unknown node type "xrp"', { details: { allowed: ['btc', 'eth'] } }) },
      'checker.timeout': () => Promise.reject(coded('SVC_ERR_CALL_TIMEOUT', 'Call "checker.slow" timed out after 30000 ms')),
      'checker.down': () => Promise.reject(coded('SVC_ERR_SERVICE_NOT_RUNNING', 'Service "checker" is not running')),
      'checker.failed': () => Promise.reject(coded('SVC_ERR_SERVICE_FAILED', 'Service "checker" failed (too many restarts)')),
      'checker.plain': () => { throw new Error('boom') },
      'checker.string': () => Promise.reject('bad node type xrp'),
      'checker.nothing': () => Promise.reject(undefined),
      'checker.bigint': () => 10n,
      'checker.cyclic': () => { const a: Record<string, unknown> = {}; a.self = a; return a },
    })

  test('a coded error maps to -32000 with its SVC_ERR code and JSON details in data', async () => {
    const { base } = await startGateway({ expose: ['checker.*'] }, backend())
    expect((await rpc(base, req('checker.coded', ['xrp']))).json()).toEqual({
      jsonrpc: '2.0',
      error: { code: -32000, message: 'Unknown node type "xrp"', data: { code: 'SVC_ERR_CHECKER_BAD_TYPE', method: 'checker.coded', details: { allowed: ['btc', 'eth'] } } },
      id: 1,
    })
  })

  test.each([
    ['checker.timeout', -32003, 'SVC_ERR_CALL_TIMEOUT'],
    ['checker.down', -32004, 'SVC_ERR_SERVICE_NOT_RUNNING'],
    ['checker.failed', -32004, 'SVC_ERR_SERVICE_FAILED'],
    ['checker.plain', -32000, 'SVC_ERR_GW_CALL_FAILED'],
    ['checker.string', -32000, 'SVC_ERR_GW_CALL_FAILED'],
    ['checker.nothing', -32000, 'SVC_ERR_GW_CALL_FAILED'],
  ])('%s → %d (%s)', async (method, code, dataCode) => {
    const { base } = await startGateway({ expose: ['checker.*'] }, backend())
    const res = (await rpc(base, req(method))).json()
    expect(res.error).toMatchObject({ code, data: { code: dataCode, method } })
    expect(typeof res.error.message).toBe('string')
    expect(res.error.message.length).toBeGreaterThan(0)
  })

  test('a result JSON cannot carry is -32603 for that id only; the rest of the batch is intact', async () => {
    const { base } = await startGateway({ expose: ['checker.*'] }, backend())
    const body = (await rpc(base, [req('checker.bigint', [], 1), req('checker.echo', ['ok'], 2), req('checker.cyclic', [], 3)])).json()
    expect(body[0]).toMatchObject({ error: { code: -32603, data: { code: 'SVC_ERR_GW_RESULT_NOT_SERIALIZABLE' } }, id: 1 })
    expect(body[1]).toEqual({ jsonrpc: '2.0', result: ['ok'], id: 2 })
    expect(body[2]).toMatchObject({ error: { code: -32603 }, id: 3 })
  })

  test('a backend whose call throws synchronously still answers an error', async () => {
    const backend = new FakeBackend()
    backend.call = () => { throw coded('SVC_ERR_SYNC', 'thrown, not rejected') }
    const { base } = await startGateway({}, backend)
    expect((await rpc(base, req('checker.getBestNode', ['btc']))).json().error).toMatchObject({ code: -32000, data: { code: 'SVC_ERR_SYNC' } })
  })
})
