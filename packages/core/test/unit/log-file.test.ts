// The rotating log file of `logs.file`: sizes in bytes, whole lines, one descriptor per file.

import { afterEach, expect, test } from '@jest/globals'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { defineService } from '../../src/remote/index.js'
import { ServicesManager } from '../../src/index.js'
import { memoryContainers } from '../../src/testing/index.js'
import { LogFile, MAX_UNWRITTEN_BYTES, nodeLogFileIo, type LogFileIo } from '../../src/manager/log-file.js'

let dir: string | undefined
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
  dir = undefined
})

// Lines of 1- to 4-byte characters: their length in UTF-16 units is well under their length in bytes.
const lines = Array.from({ length: 200 }, (_, i) => `${i} ` + 'é€😀a'.repeat(1 + (i % 7)))

test('no rotated file exceeds maxBytes in bytes, with multi-byte lines, and no line is split or lost', async () => {
  dir = mkdtempSync(join(tmpdir(), 'svc-logfile-'))
  const path = join(dir, 'svc.log')
  const file = new LogFile(path, 300, 3)
  for (const line of lines) file.write(line)
  await file.close()

  const names = readdirSync(dir).sort()
  expect(names).toEqual(['svc.log', 'svc.log.1', 'svc.log.2'])
  for (const name of names) expect(statSync(join(dir, name)).size).toBeLessThanOrEqual(300)
  // Oldest first: what the three files keep is the newest lines, each whole, in order, none missing.
  const kept = ['svc.log.2', 'svc.log.1', 'svc.log'].flatMap((name) => {
    const text = readFileSync(join(dir!, name), 'utf8')
    expect(text.endsWith('\n')).toBe(true)
    return text.slice(0, -1).split('\n')
  })
  expect(kept).toEqual(lines.slice(lines.length - kept.length))
  // Each file is full but for less than one line: rotation did not leave room unused.
  for (const name of ['svc.log.2', 'svc.log.1']) expect(statSync(join(dir, name)).size).toBeGreaterThan(300 - 4 * 4 * 7 - 8)
})

test('the file is opened once and written through that descriptor until it rotates', async () => {
  dir = mkdtempSync(join(tmpdir(), 'svc-logfile-'))
  const path = join(dir, 'svc.log')
  const opened: number[] = []
  const written = new Set<number>()
  let rotations = 0
  const io: LogFileIo = {
    ...nodeLogFileIo,
    open: async (p) => {
      const fd = await nodeLogFileIo.open(p)
      opened.push(fd)
      return fd
    },
    write: (fd, data) => {
      written.add(fd)
      return nodeLogFileIo.write(fd, data)
    },
    rename: (from, to) => {
      if (from === path) rotations++
      return nodeLogFileIo.rename(from, to)
    },
  }
  const file = new LogFile(path, 1000, 2, io)
  for (const line of lines) file.write(line)
  await file.close()

  expect(rotations).toBeGreaterThan(2)
  expect(opened).toHaveLength(1 + rotations) // one open per file, not per line
  for (const fd of written) expect(opened).toContain(fd)
  expect(existsSync(`${path}.2`)).toBe(false)
})

test('a line longer than a whole file is cut to fit it, at a character boundary', async () => {
  dir = mkdtempSync(join(tmpdir(), 'svc-logfile-'))
  const path = join(dir, 'svc.log')
  const file = new LogFile(path, 10, 2)
  file.write('€€€€€€') // 18 bytes
  file.write('ok')
  await file.close()
  expect(readFileSync(`${path}.1`, 'utf8')).toBe('€€€\n')
  expect(readFileSync(path, 'utf8')).toBe('ok\n')
})

test('a file already larger than maxBytes is rotated before the first line, and lines are appended after a close', async () => {
  dir = mkdtempSync(join(tmpdir(), 'svc-logfile-'))
  const path = join(dir, 'svc.log')
  const first = new LogFile(path, 100, 2)
  first.write('a'.repeat(50))
  await first.close()
  first.write('b')
  await first.close()
  expect(readFileSync(path, 'utf8')).toBe('a'.repeat(50) + '\nb\n')
  const smaller = new LogFile(path, 20, 2)
  smaller.write('c')
  await smaller.close()
  expect(readFileSync(`${path}.1`, 'utf8')).toBe('a'.repeat(50) + '\nb\n')
  expect(readFileSync(path, 'utf8')).toBe('c\n')
})

test('ServicesManager.close resolves only once every line is in the log file', async () => {
  dir = mkdtempSync(join(tmpdir(), 'svc-logfile-'))
  const path = join(dir, 'talker.log')
  const talker = defineService(async (ctx) => {
    for (const line of lines) ctx.log.info(line)
    return {}
  })
  const manager = new ServicesManager(
    { stateDir: dir, services: { talker: { entry: 'mem:talker', logs: { file: path } } } },
    { containers: memoryContainers({ 'mem:talker': talker }), resolveEntry: (_n, e) => e },
  )
  await manager.start()
  await manager.close()
  const written = readFileSync(path, 'utf8').trimEnd().split('\n').map((l) => l.split(' ').slice(2).join(' '))
  expect(written).toEqual(lines)
})

test('a log file that cannot be written is said once in the service log, and its lines stay in memory', async () => {
  dir = mkdtempSync(join(tmpdir(), 'svc-logfile-'))
  writeFileSync(join(dir, 'not-a-folder'), '')
  const path = join(dir, 'not-a-folder', 'talker.log') // its folder is a file: mkdir and open fail
  const talker = defineService(async (ctx) => {
    for (const line of lines) ctx.log.info(line)
    return {}
  })
  const manager = new ServicesManager(
    { stateDir: dir, services: { talker: { entry: 'mem:talker', logs: { file: path } } } },
    { containers: memoryContainers({ 'mem:talker': talker }), resolveEntry: (_n, e) => e },
  )
  await manager.start()
  await manager.flushLogs()
  const log = manager.logs('talker').map((l) => l.line)
  expect(log.filter((l) => l.startsWith(`[svc] cannot write the log file ${path}`))).toHaveLength(1)
  expect(log.filter((l) => !l.startsWith('[svc]'))).toEqual(lines)
  await manager.close()
})

test('while the disk lags by more than MAX_UNWRITTEN_BYTES, lines are left out of the file and counted by a marker', async () => {
  dir = mkdtempSync(join(tmpdir(), 'svc-logfile-'))
  const path = join(dir, 'svc.log')
  let release!: () => void
  const disk = new Promise<void>((resolve) => (release = resolve))
  const io: LogFileIo = { ...nodeLogFileIo, write: async (fd, data) => (await disk, nodeLogFileIo.write(fd, data)) }
  const file = new LogFile(path, 1024 * 1024 * 1024, 2, io)
  const line = 'x'.repeat(16 * 1024 - 1)
  const fitting = Math.floor(MAX_UNWRITTEN_BYTES / (16 * 1024)) + 1
  for (let i = 0; i < fitting + 10; i++) file.write(line)
  release()
  await file.flush()
  file.write('after')
  await file.close()
  const written = readFileSync(path, 'utf8').split('\n')
  expect(written.filter((l) => l === line).length).toBeGreaterThanOrEqual(fitting - 1)
  expect(written.slice(-3)).toEqual([expect.stringMatching(/^\[svc\] \d+ lines not written to this file: the disk fell behind$/), 'after', ''])
  const [, dropped] = /^\[svc\] (\d+)/.exec(written.at(-3)!)!
  expect(written.filter((l) => l === line).length + Number(dropped)).toBe(fitting + 10)
})
