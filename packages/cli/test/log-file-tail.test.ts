// `svc logs -n N` reaches past the in-memory buffer into the service's log file when one is configured.

import { afterEach, expect, it } from '@jest/globals'
import { ServicesManager } from '@services-cluster/core'
import { memoryContainers } from '@services-cluster/core/testing'
import { defineService } from '@services-cluster/core/remote'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileTail } from '../src/control/log-file-tail.js'
import { methods, type MethodContext } from '../src/control/methods.js'

const talker = defineService(async (ctx) => {
  for (let i = 1; i <= 5; i++) ctx.log.info(`line ${i}`)
  return {}
})

let dir: string | undefined
let manager: ServicesManager | undefined
afterEach(async () => {
  await manager?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

it('reads the newest lines of the file, older than what the buffer still holds', async () => {
  dir = mkdtempSync(join(tmpdir(), 'svc-logtail-'))
  manager = new ServicesManager(
    { stateDir: dir, services: { talker: { entry: 'mem:talker', logs: { bufferLines: 2, file: join(dir, 'talker.log') } } } },
    { containers: memoryContainers({ 'mem:talker': talker }), resolveEntry: (_n, e) => e },
  )
  await manager.start()
  expect(manager.logs('talker', 5).map((l) => l.line)).toEqual(['line 4', 'line 5'])
  await manager.flushLogs() // lines reach the file in batches; the `logs` control method flushes first too
  const tail = fileTail(manager, 'talker', 4)!
  expect(tail.map((l) => `${l.stream}:${l.line}`)).toEqual(['stdout:line 2', 'stdout:line 3', 'stdout:line 4', 'stdout:line 5'])
  expect(tail.every((l) => l.at > 0)).toBe(true)
})

it('the logs control method writes out what is queued for the file before reading it', async () => {
  dir = mkdtempSync(join(tmpdir(), 'svc-logtail-'))
  manager = new ServicesManager(
    { stateDir: dir, services: { talker: { entry: 'mem:talker', logs: { bufferLines: 2, file: join(dir, 'talker.log') } } } },
    { containers: memoryContainers({ 'mem:talker': talker }), resolveEntry: (_n, e) => e },
  )
  await manager.start()
  const ctx = { manager, info: {} as MethodContext['info'], subscription: { topics: new Set(), services: null }, log: () => undefined, down: async () => [] } satisfies MethodContext
  const { lines } = await methods.logs({ services: ['talker'], limit: 4 }, ctx)
  expect(lines.map((l) => l.line)).toEqual(['line 2', 'line 3', 'line 4', 'line 5'])
})
