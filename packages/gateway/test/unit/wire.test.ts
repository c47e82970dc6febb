import { describe, expect, test } from '@jest/globals'
import { claimKey, encodeRequest, literalPattern, parseIncoming, scoped, sniffBackChannel } from '../../src/redis/wire.js'
import { backoffDelay } from '../../src/redis/connect.js'

describe('node-redis-rpc wire format', () => {
  test('a claim key is the scoped channel, the back channel and a digest of the message: the same for every subscriber', () => {
    const message = encodeRequest('checker.addNode', [{ id: 'x' }], 'b-1')
    const key = claimKey('dev:pg_nm:master', 'b-1', message)
    expect(key).toMatch(/^dev:pg_nm:master:claim:b-1:[A-Za-z0-9_-]{27}$/)
    expect(claimKey('dev:pg_nm:master', 'b-1', message)).toBe(key)
    // Two different requests on one (reused) back channel are two claims.
    expect(claimKey('dev:pg_nm:master', 'b-1', encodeRequest('checker.rmNode', ['x'], 'b-1'))).not.toBe(key)
  })

  test('a request carries payload, __type and __backChannel', () => {
    expect(JSON.parse(encodeRequest('checker.getBestNode', ['btc'], 'b-1'))).toEqual({
      payload: { method: 'checker.getBestNode', params: ['btc'] },
      __type: 'rpc',
      __backChannel: 'b-1',
    })
  })

  test.each([
    ['not JSON', '{', 'ignore'],
    ['an array', '[]', 'ignore'],
    ['no rpc marker', '{"payload":{"method":"a.b"},"__backChannel":"x"}', 'ignore'],
    ['no back channel', '{"payload":{"method":"a.b"},"__type":"rpc"}', 'ignore'],
    ['no method', '{"payload":{},"__type":"rpc","__backChannel":"x"}', 'invalid'],
  ])('%s → %s', (_what, text, kind) => {
    expect(parseIncoming(text).kind).toBe(kind)
  })

  test('pg_nm routing (`to` + bare method) and flat bodies are understood', () => {
    expect(parseIncoming('{"payload":{"method":"getBestNode","to":"checker","params":{"node_type":"btc"}},"__type":"rpc","__backChannel":"x"}'))
      .toEqual({ kind: 'call', backChannel: 'x', method: 'checker.getBestNode', params: { node_type: 'btc' } })
    expect(parseIncoming('{"method":"a.b","params":[1],"__type":"rpc","__backChannel":"y"}'))
      .toEqual({ kind: 'call', backChannel: 'y', method: 'a.b', params: [1] })
  })

  test('scope prefixes with a colon; patterns escape glob characters', () => {
    expect(scoped('', 'ch')).toBe('ch')
    expect(scoped('dev', 'pg_nm:master')).toBe('dev:pg_nm:master')
    expect(literalPattern('a*b?[c]\\d')).toBe('a\\*b\\?\\[c\\]\\\\d')
  })

  test('the back channel can be found without parsing an oversized message', () => {
    expect(sniffBackChannel(`{"payload":{"params":["${'x'.repeat(100)}"]},"__type":"rpc","__backChannel":"abc-123"}`)).toBe('abc-123')
    expect(sniffBackChannel('{"__type":"rpc"}')).toBeUndefined()
  })
})

describe('reconnect backoff', () => {
  test('grows exponentially, stays within [step/2, step], and is capped', () => {
    const opts = { minReconnectDelayMs: 100, maxReconnectDelayMs: 5000 }
    for (let r = 0; r < 50; r++) {
      const step = Math.min(5000, 100 * 2 ** r)
      const d = backoffDelay(r, opts)
      expect(d).toBeGreaterThanOrEqual(step / 2)
      expect(d).toBeLessThanOrEqual(step)
    }
  })
})
