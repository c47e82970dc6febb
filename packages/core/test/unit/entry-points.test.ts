import { describe, expect, test } from '@jest/globals'
import { readFileSync } from 'node:fs'
import * as main from '../../src/index.js'
import * as testing from '../../src/testing/index.js'

// The main entry is what production code imports; test doubles live in @services-cluster/core/testing.
const TEST_DOUBLES = ['MemoryContainer', 'memoryContainers', 'createMemoryPortPair']

describe('entry points', () => {
  test('the main entry exports no test double', () => {
    for (const name of TEST_DOUBLES) expect(Object.keys(main)).not.toContain(name)
  })

  test('the testing entry exports every test double', () => {
    expect(Object.keys(testing).sort()).toEqual([...TEST_DOUBLES].sort())
  })

  test('package.json maps ./testing to the built entries (ESM and CommonJS), types first', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      exports: Record<string, Record<string, string>>
    }
    expect(Object.entries(pkg.exports['./testing']!)).toEqual([
      ['types', './dist/testing/index.d.ts'],
      ['import', './dist/testing/index.js'],
      ['require', './cjs/testing/index.js'],
    ])
  })
})
