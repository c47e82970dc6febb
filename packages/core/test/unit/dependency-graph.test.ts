import { describe, expect, test } from '@jest/globals'
import { DependencyGraph } from '../../src/graph/dependency-graph.js'
import type { Manifest } from '../../src/manifest/types.js'

const graph = (deps: Record<string, string[]>) => new DependencyGraph(Object.entries(deps))

function codeOf(fn: () => unknown): { code: string; message: string; service?: string } {
  try {
    fn()
  } catch (error) {
    return error as { code: string; message: string; service?: string }
  }
  throw new Error('expected an error')
}

describe('DependencyGraph', () => {
  test('orders dependencies first', () => {
    const g = graph({ c: ['a'], a: ['b'], b: [], d: [] })
    const order = g.startOrder()
    expect(order.indexOf('b')).toBeLessThan(order.indexOf('a'))
    expect(order.indexOf('a')).toBeLessThan(order.indexOf('c'))
    expect(order).toHaveLength(4)
  })

  test('names the whole cycle', () => {
    const error = codeOf(() => graph({ a: ['b'], b: ['c'], c: ['a'] }))
    expect(error.code).toBe('SVC_ERR_DEPENDENCY_CYCLE')
    expect(error.message).toContain('a → b → c → a')
  })

  test('refuses unknown and self dependencies, naming the service', () => {
    const unknown = codeOf(() => graph({ a: ['ghost'] }))
    expect(unknown).toMatchObject({ code: 'SVC_ERR_UNKNOWN_DEPENDENCY', service: 'a' })
    expect(unknown.message).toContain('"ghost"')
    expect(codeOf(() => graph({ a: ['a'] }))).toMatchObject({ code: 'SVC_ERR_SELF_DEPENDENCY', service: 'a' })
  })

  test('refuses bad names and duplicates', () => {
    for (const bad of ['', 'Upper', '-dash', 'has space', 'x'.repeat(65)]) {
      expect(codeOf(() => graph({ [bad]: [] })).code).toBe('SVC_ERR_BAD_NAME')
    }
    expect(() => graph({ 'ok-1_.x': [] })).not.toThrow()
    expect(codeOf(() => new DependencyGraph([['a', []], ['a', []]])).code).toBe('SVC_ERR_DUPLICATE_SERVICE')
  })

  test('computes closures both ways', () => {
    const g = graph({ c: ['a'], a: ['b'], b: [], d: ['b'], e: [] })
    expect([...g.withDependencies(['c'])].sort()).toEqual(['a', 'b', 'c'])
    expect([...g.transitiveDependents(['b'])].sort()).toEqual(['a', 'c', 'd'])
  })

  test('redefine gives a node new dependencies and keeps its place (svc apply)', () => {
    const g = graph({ a: [], b: ['a'], c: [] })
    g.redefine('b', ['c'])
    expect(g.names).toEqual(['a', 'b', 'c'])
    expect(g.dependenciesOf('b')).toEqual(['c'])
    expect(g.dependentsOf('a')).toEqual([])
    expect(codeOf(() => g.redefine('z', [])).code).toBe('SVC_ERR_UNKNOWN_SERVICE')
  })
})

describe('manifest fields', () => {
  test('a misspelt service field is refused with a suggestion, naming service and field', async () => {
    const { normalizeManifest } = await import('../../src/manifest/normalize.js')
    const bad = { services: { a: { entry: 'x', dependOn: ['b'] } } } as never
    expect(() => normalizeManifest(bad, '/', (_n, e) => e)).toThrow(
      expect.objectContaining({
        code: 'SVC_ERR_MANIFEST_INVALID',
        service: 'a',
        details: expect.objectContaining({ field: 'dependOn' }),
        message: expect.stringContaining('did you mean "dependsOn"?'),
      }),
    )
    expect(() => normalizeManifest({ services: {}, stateDri: 'x' } as never, '/')).toThrow(/unknown field "stateDri" \(did you mean "stateDir"\?\)/)
  })

  test('spawner is as the manifest says, else true for more than 16 services; it must be a boolean', async () => {
    const { normalizeManifest } = await import('../../src/manifest/normalize.js')
    const graph = (size: number) => Object.fromEntries(Array.from({ length: size }, (_, i) => [`s${i}`, { entry: 'x.js' }]))
    const normalize = (manifest: Manifest) => normalizeManifest(manifest, '/', (_name, entry) => entry)
    expect(normalize({ services: graph(16) }).spawner).toBe(false)
    expect(normalize({ services: graph(17) }).spawner).toBe(true)
    expect(normalize({ services: graph(1), spawner: true }).spawner).toBe(true)
    expect(normalize({ services: graph(17), spawner: false }).spawner).toBe(false)
    expect(() => normalizeManifest({ services: {}, spawner: 'no' } as never, '/')).toThrow(
      expect.objectContaining({ code: 'SVC_ERR_MANIFEST_INVALID', details: expect.objectContaining({ field: 'spawner' }) }),
    )
  })
})
