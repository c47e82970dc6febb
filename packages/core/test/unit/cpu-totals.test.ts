// svc_service_cpu_seconds_total is a counter: it never goes down, whatever the processes behind it do.

import { expect, test } from '@jest/globals'
import { CpuTotals } from '../../src/manager/cpu-totals.js'

const readings = (entries: [number, number][]) => new Map(entries)

test('adds what each process used since the last round; a process that exits takes nothing away', () => {
  const totals = new CpuTotals()
  totals.add('api', readings([[100, 1.5], [101, 0.25]])) // the root and a worker it spawned
  totals.add('api', readings([[100, 2], [101, 0.5]]))
  expect(totals.seconds('api')).toBeCloseTo(2.5)
  totals.add('api', readings([[100, 2.25]])) // the worker exited
  expect(totals.seconds('api')).toBeCloseTo(2.75)
})

test('a restart (new pids) adds the new processes whole', () => {
  const totals = new CpuTotals()
  totals.add('api', readings([[100, 3]]))
  totals.add('api', readings([[200, 0.5]])) // restarted: a new process
  expect(totals.seconds('api')).toBeCloseTo(3.5)
  expect(totals.seconds('other')).toBe(0)
})

test('a pid reused between two rounds reads less than before: not a negative delta, only its growth from then on', () => {
  const totals = new CpuTotals()
  totals.add('api', readings([[100, 3]]))
  totals.add('api', readings([[100, 0.5]])) // another process got pid 100 meanwhile
  expect(totals.seconds('api')).toBeCloseTo(3)
  totals.add('api', readings([[100, 0.75]]))
  expect(totals.seconds('api')).toBeCloseTo(3.25)
})
