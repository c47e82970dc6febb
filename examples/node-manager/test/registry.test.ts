import { describe, expect, it } from '@jest/globals'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { applyPatch, nodeHash, parseNodeInput } from '../src/checker/node-config.ts'
import { createMemoryStore } from '../src/checker/memory-store.ts'
import { loadNodesFile } from '../src/checker/nodes-file.ts'
import { Registry } from '../src/checker/registry.ts'

const btc = { type: 'btc', host: '127.0.0.1', port: 8332, user: 'u', pass: 'p' }

describe('node validation', () => {
  it.each([
    [{ ...btc, type: 'doge' }, 'type "doge" is not supported; use one of btc, ltc, eth'],
    [{ host: 'a', port: 1 }, '"type" is missing'],
    [{ type: 'eth', port: 8545 }, '"host" is missing'],
    [{ type: 'eth', host: 'http://x' }, 'not a hostname'],
    [{ type: 'eth', host: 'x' }, '"port" is missing'],
    [{ type: 'eth', host: 'x', port: 70000 }, 'port 70000 must be an integer from 1 to 65535'],
    [{ type: 'eth', host: 'x', port: 1, protocol: 'ws' }, 'protocol "ws" must be "http" or "https"'],
    [{ type: 'eth', host: 'x', port: 1, pass: 'p' }, '"pass" is set without "user"'],
    [{ type: 'eth', host: 'x', port: 1, timeoutMs: 0 }, 'timeoutMs 0 must be an integer'],
    [{ type: 'eth', host: 'x', port: 1, hots: 'y' }, 'unknown field(s) "hots"'],
    [{ type: 'eth', host: 'x', port: 1, id: 'Bad Id' }, 'id "Bad Id" must be'],
    ['btc', 'expected an object'],
  ])('rejects %j with a coded, explanatory error', (input, message) => {
    expect(() => parseNodeInput(input)).toThrow(expect.objectContaining({ code: 'SVC_ERR_NM_INVALID_NODE', message: expect.stringContaining(message) }))
  })

  it('applies defaults and normalises the host', () => {
    expect(parseNodeInput({ type: 'eth', host: ' Node.Example ', port: 8545 })).toEqual({
      type: 'eth',
      config: { host: 'node.example', port: 8545, protocol: 'http', timeoutMs: 5000 },
    })
  })

  it('hashes the canonical config: key order and host case do not matter, every field does', () => {
    const a = parseNodeInput({ ...btc, host: 'LOCALHOST' })
    const b = parseNodeInput({ pass: 'p', user: 'u', port: 8332, host: 'localhost', type: 'btc' })
    expect(nodeHash(a.type, a.config)).toBe(nodeHash(b.type, b.config))
    expect(nodeHash(a.type, a.config)).toMatch(/^[0-9a-f]{64}$/)
    expect(nodeHash('ltc', a.config)).not.toBe(nodeHash('btc', a.config))
    expect(nodeHash(a.type, { ...a.config, port: 8333 })).not.toBe(nodeHash(a.type, a.config))
  })

  it('patches: null removes credentials, type and id cannot change', () => {
    const { config } = parseNodeInput(btc)
    expect(applyPatch(config, { user: null, pass: null, port: 9 })).toEqual({ host: '127.0.0.1', port: 9, protocol: 'http', timeoutMs: 5000 })
    expect(() => applyPatch(config, { type: 'eth' })).toThrow('type and id cannot change')
    expect(() => applyPatch(config, { user: null })).toThrow('"pass" is set without "user"')
  })
})

describe('Registry', () => {
  it('derives stable ids from the hash, finds nodes by id or hash, refuses duplicates', async () => {
    const registry = new Registry(createMemoryStore())
    const added = await registry.add(btc)
    expect(added.id).toBe(`btc-${added.hash.slice(0, 8)}`)
    expect((await registry.get(added.hash)).id).toBe(added.id)
    expect((await registry.get(added.id)).hash).toBe(added.hash)
    await expect(registry.add({ ...btc, host: '127.0.0.1' })).rejects.toMatchObject({ code: 'SVC_ERR_NM_DUPLICATE_NODE' })
    await registry.add({ ...btc, port: 8333, id: 'mine' })
    await expect(registry.add({ ...btc, port: 8334, id: 'mine' })).rejects.toThrow('A node with id "mine" already exists')
  })

  it('updates keep the id, change the hash, and refuse to collide with another node', async () => {
    const registry = new Registry(createMemoryStore())
    const a = await registry.add({ ...btc, id: 'a' })
    await registry.add({ ...btc, id: 'b', port: 8333 })
    const updated = await registry.update(a.hash, { port: 9000 })
    expect(updated).toMatchObject({ id: 'a', config: { port: 9000 } })
    expect(updated.hash).not.toBe(a.hash)
    await expect(registry.update('a', { port: 8333 })).rejects.toThrow('Node "b" already has this exact config')
    await expect(registry.get(a.hash)).rejects.toMatchObject({ code: 'SVC_ERR_NM_NODE_NOT_FOUND' })
  })

  it('names unknown ids and bad types clearly', async () => {
    const registry = new Registry(createMemoryStore())
    await expect(registry.remove('nope')).rejects.toThrow('No node has the id or hash "nope". Call getNodes()')
    await expect(registry.update('nope', {})).rejects.toMatchObject({ code: 'SVC_ERR_NM_NODE_NOT_FOUND' })
    await expect(registry.list('doge')).rejects.toMatchObject({ code: 'SVC_ERR_NM_INVALID_NODE' })
    await expect(registry.get(42)).rejects.toThrow('expected a node id or hash string')
  })

  it('serialises concurrent adds so the same node cannot slip in twice', async () => {
    const registry = new Registry(createMemoryStore())
    const results = await Promise.allSettled([registry.add(btc), registry.add(btc)])
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected'])
    expect(await registry.list()).toHaveLength(1)
  })
})

describe('nodes file', () => {
  async function withFile(content: string, run: (path: string) => Promise<void>): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), 'nm-nodes-'))
    try {
      await writeFile(join(dir, 'nodes.json'), content)
      await run(join(dir, 'nodes.json'))
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }

  it('points at the bad entry by number', async () => {
    await withFile(JSON.stringify({ nodes: [btc, { type: 'eth', port: 1 }] }), async (path) => {
      await expect(loadNodesFile(path)).rejects.toThrow('nodes.json, node #2: Invalid node config: "host" is missing')
    })
    await withFile(JSON.stringify([btc, { ...btc }]), async (path) => {
      await expect(loadNodesFile(path)).rejects.toThrow('node #2: Invalid node config: same type and config as node #1')
    })
    await withFile('{ nodes: ', async (path) => {
      await expect(loadNodesFile(path)).rejects.toMatchObject({ code: 'SVC_ERR_NM_NODES_FILE', message: expect.stringContaining('not valid JSON') })
    })
  })

  it('says when the file is missing', async () => {
    await expect(loadNodesFile('/nonexistent/nodes.json')).rejects.toThrow('the file does not exist; fix nodesFile')
  })

  it('the shipped nodes.json is valid', async () => {
    const nodes = await loadNodesFile(new URL('../nodes.json', import.meta.url).pathname)
    expect(nodes.map((n) => n.id)).toEqual(['btc-a', 'btc-b', 'ltc-a', 'eth-a', 'eth-b'])
  })
})
