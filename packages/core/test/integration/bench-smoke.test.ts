// Keeps `npm run bench` from rotting: every core case runs at a tiny size and must produce finite figures.
// Nothing here judges speed; that is the full benchmark's job (docs/benchmarks.md).
import { describe, expect, test } from '@jest/globals'

interface Row {
  case: string
  framework: number
  baseline: number
  ratio: number
}

// @ts-expect-error -- plain ESM benchmark script without type declarations
const bench = (await import('../../../../bench/core.mjs')) as Record<string, (o: object) => Promise<Row[]>>

describe('benchmark smoke run (quick sizes)', () => {
  test.each([
    ['callCases', { trials: 1, count: 20 }],
    ['recoveryCases', { trials: 1 }],
    ['startupCases', { trials: 1, services: 3 }],
    ['memoryCases', {}],
  ])('%s produces finite ratios', async (name, options) => {
    const rows = await bench[name]!(options)
    expect(rows.length).toBeGreaterThan(0)
    for (const row of rows) {
      expect(Number.isFinite(row.framework) && Number.isFinite(row.baseline) && Number.isFinite(row.ratio)).toBe(true)
    }
  })
})
