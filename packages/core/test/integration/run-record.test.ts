import { afterEach, expect, test } from '@jest/globals'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RunRecord } from '../../src/supervision/run-record.js'
import { until } from './harness.js'

// The run record on its own: written off the event loop, and gone after a clean close even when a write was under
// way. Real process groups (detached sleeps), since the record's watchdog is told about them too.
const dirs: string[] = []
const groups: ChildProcess[] = []
afterEach(() => {
  for (const g of groups.splice(0)) g.kill('SIGKILL')
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function stateDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'svc-record-'))
  dirs.push(dir)
  return dir
}

function group(): number {
  const child = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' })
  groups.push(child)
  return child.pid!
}

test('the record names every group it is told about', async () => {
  const dir = stateDir()
  const record = new RunRecord(dir)
  record.open()
  const [a, b] = [group(), group()]
  record.add(a)
  record.add(b)
  const file = join(dir, 'private', 'runs', `${process.pid}.json`)
  const read = () => {
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as { groups: number[]; startedAt: number; runId: string }
    } catch {
      return null // not written yet
    }
  }
  const opened = Date.now()
  await until(() => read()?.groups.length === 2, 5_000, 'the record to name both groups')
  expect(read()!.groups.sort()).toEqual([a, b].sort())
  expect(read()!.runId).toBe(record.runId)
  expect(read()!.startedAt).toBeLessThanOrEqual(opened) // when the run opened, not when the record was last written
  await record.close()
  expect(readdirSync(join(dir, 'private', 'runs'))).toEqual([])
})

test('close() waits for a write under way, so the record does not come back after it', async () => {
  const dir = stateDir()
  const record = new RunRecord(dir)
  record.open() // its first write is under way now
  record.add(group()) // and another is due
  await record.close()
  expect(readdirSync(join(dir, 'private', 'runs'))).toEqual([])
})
