// Builds a scheduler on fakes: fake clock, recorded calls, in-memory modules and store.

import { fileURLToPath } from 'node:url'
import { Scheduler, type SchedulerOptions } from '../../src/scheduler.js'
import { FakeClock } from './fake-clock.js'
import { FakeModules, fakeCall, type RecordedCall } from './fakes.js'

export interface Harness {
  scheduler: Scheduler
  clock: FakeClock
  calls: RecordedCall[]
  modules: FakeModules
  warnings: unknown[][]
}

export function harness(
  options: Partial<SchedulerOptions> & { start?: number; respond?: (call: RecordedCall) => Promise<unknown> } = {},
): Harness {
  const clock = new FakeClock(options.start ?? 0)
  const { call, calls } = fakeCall(options.respond)
  const modules = new FakeModules()
  const warnings: unknown[][] = []
  const scheduler = new Scheduler({
    call,
    clock,
    modules,
    moduleBaseDir: fixtures,
    log: { warn: (...args) => warnings.push(args) },
    ...options,
  })
  return { scheduler, clock, calls, modules, warnings }
}

export const checkTask = { name: 'check', every: '5s', call: { service: 'checker', method: 'check', args: [1] } }

export const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url))
