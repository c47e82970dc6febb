import { describe, expect, it } from '@jest/globals'
import { describeStatuses, pickBestNode } from '../src/checker/best-node.ts'
import { grade, type ProbedNode } from '../src/checker/check.ts'
import type { NodeRecord, NodeType } from '../src/checker/node-config.ts'
import { errors } from '../src/errors.ts'
import type { StoredNode } from '../src/checker/store.ts'

const node = (id: string, type: NodeType = 'btc'): NodeRecord => ({
  id,
  hash: `h-${id}`,
  type,
  config: { host: 'x', port: 1, protocol: 'http', timeoutMs: 100 },
})
const up = (id: string, block: number, latencyMs = 1, type: NodeType = 'btc'): ProbedNode => ({
  node: node(id, type),
  probe: { ok: true, block, latencyMs },
})
const failed = (id: string): ProbedNode => ({
  node: node(id),
  probe: { ok: false, error: errors.probeTimeout(id, 100), latencyMs: 100 },
})
const at = new Date('2024-05-01T00:00:00Z')

describe('status rules', () => {
  it('lagging means answering but more than lagBlocks behind the best of the same type', () => {
    const results = grade([up('a', 100), up('b', 98), up('c', 97), failed('d'), up('e', 10, 1, 'eth')], 2, at)
    expect(results.map((r) => [r.id, r.health.status])).toEqual([
      ['a', 'online'],
      ['b', 'online'],
      ['c', 'lagging'],
      ['d', 'offline'],
      ['e', 'online'],
    ])
    expect(results[3]!.health).toEqual({
      status: 'offline',
      block: null,
      latencyMs: null,
      error: 'Node "d" did not answer within 100 ms.',
      errorCode: 'SVC_ERR_NM_PROBE_TIMEOUT',
      checkedAt: '2024-05-01T00:00:00.000Z',
    })
  })

  it('best node: online only, highest block, then lowest latency, then id', () => {
    const stored = (p: ProbedNode): StoredNode => ({ ...p.node, health: grade([p], 2, at)[0]!.health })
    const nodes = [
      stored(up('slow', 100, 50)),
      stored(up('fast', 100, 5)),
      stored(up('z-tie', 100, 5)),
      stored(up('low', 99, 1)),
      { ...node('unchecked') },
    ]
    expect(pickBestNode(nodes, 'btc')?.id).toBe('fast')
    expect(pickBestNode(nodes, 'eth')).toBeUndefined()
    expect(describeStatuses(nodes, 'btc')).toBe('4 online, 1 unchecked')
    expect(describeStatuses(nodes, 'ltc')).toBe('no "ltc" nodes registered')
  })
})
