// Keeps `npm run bench` from rotting: every case runs at a tiny size and must produce finite figures, including the
// peers (PM2, Moleculer, cluster-client; installed by the bench/ workspace). Nothing here judges speed; that is the
// full benchmark's job (docs/benchmarks.md).
import { describe, expect, test } from '@jest/globals'

interface Row {
  case: string
  framework: number
  baseline: number | null
  ratio: number | null
}
type Cases = Record<string, (o: object) => Promise<Row[]>>

const load = async (file: string): Promise<Cases> => (await import(`../../../../bench/${file}`)) as Cases
const bench: Cases = {
  ...(await load('core.mjs')),
  ...(await load('pm2.mjs')),
  ...(await load('moleculer.mjs')),
  ...(await load('cluster-client-calls.mjs')),
}

describe('benchmark smoke run (quick sizes)', () => {
  test.each([
    ['callCases', { trials: 1, count: 20 }],
    ['moleculerCases', { trials: 1, count: 20 }],
    ['clusterClientCases', { trials: 1, count: 20 }],
    ['recoveryCases', { trials: 1 }],
    ['startupCases', { trials: 1, services: 3 }],
    ['pm2Cases', { trials: 1, apps: 2 }],
    ['memoryCases', { services: 3 }],
  ])('%s produces finite figures', async (name, options) => {
    const rows = await bench[name]!(options)
    expect(rows.length).toBeGreaterThan(0)
    for (const row of rows) {
      expect(Number.isFinite(row.framework)).toBe(true)
      // A row either has a baseline and a ratio, or neither (a reference figure printed as '—').
      if (row.baseline === null) expect(row.ratio).toBeNull()
      else expect(Number.isFinite(row.baseline) && Number.isFinite(row.ratio)).toBe(true)
    }
  })
})
