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
