import { expect, test } from '@jest/globals'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import type { ResolvedService } from '../../src/manifest/normalize.js'
import { ServiceOutput } from '../../src/manager/service-output.js'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

test('a line kept in the ring does not keep alive the 64 KiB chunk it was cut from', () => {
  const service = { name: 'flood', logs: { bufferLines: 1000, maxBytes: 0, maxFiles: 0, file: null } } as unknown as ResolvedService
  const output = new ServiceOutput(service, null, () => {})
  gc()
  const before = process.memoryUsage().heapUsed
  // What the line splitter hands over during a flood: each line let through is a slice of another chunk's string.
  for (let i = 0; i < 1000; i++) output.line('stdout', `${i} `.padEnd(64 * 1024, 'x').slice(0, 100))
  gc()
  const grown = process.memoryUsage().heapUsed - before
  expect(output.tail()).toHaveLength(1000)
  expect(output.tail(1)[0]!.line).toBe('999 '.padEnd(100, 'x'))
  expect(grown).toBeLessThan(8 * 1024 * 1024) // pinned chunks: ≈ 64 MiB
})

test('counts recorded lines per stream and the lines the rate limit dropped, as many as its markers say', () => {
  const service = { name: 'flood', logs: { bufferLines: 10, maxBytes: 0, maxFiles: 0, file: null } } as unknown as ResolvedService
  let marked = 0
  let plain = 0
  const output = new ServiceOutput(service, null, ({ line }) => {
    const marker = /^\[svc\] (\d+) lines dropped/.exec(line)
    if (marker) marked += Number(marker[1])
    else plain++
  })
  for (let i = 0; i < 40_000; i++) output.line('stdout', `line ${i}`) // twice the gate's burst of 20,000
  output.line('stderr', 'after the burst')
  output.reportDrops()
  const { stdout, stderr, dropped } = output.counts
  expect(dropped).toBeGreaterThan(0)
  expect(dropped).toBe(marked)
  expect(plain + dropped).toBe(40_001) // every line is recorded or counted as dropped
  expect(stdout + stderr).toBeGreaterThanOrEqual(plain) // markers are recorded lines too
})
