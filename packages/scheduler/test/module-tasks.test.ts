// Module tasks in real tinypool worker threads, through the compiled worker runner (build first).
import { afterEach, describe, expect, it } from '@jest/globals'
import { Scheduler } from '../src/scheduler.js'
import { fakeCall } from './helpers/fakes.js'
import { fixtures } from './helpers/setup.js'

let scheduler: Scheduler | undefined
afterEach(async () => {
  await scheduler?.stop()
  scheduler = undefined
})

// Real clock; `every: '1h'` keeps the schedule out of the way, runs are started with taskRun.
async function start(tasks: object[], cancelGraceMs = 50): Promise<Scheduler> {
  scheduler = new Scheduler({ call: fakeCall().call, moduleBaseDir: fixtures, maxWorkers: 2, cancelGraceMs })
  await scheduler.bootstrap(tasks.map((task) => ({ every: '1h', ...task })))
  return scheduler
}

describe('module tasks in worker threads', () => {
  it('runs a TypeScript task module and returns its result', async () => {
    const s = await start([{ name: 'sum', module: './returns.ts', input: { values: [1, 2, 3] } }])
    await expect(s.taskRun('sum')).resolves.toMatchObject({ ok: true, result: { sum: 6, thread: 'worker' } })
  })

  it('keeps the name and code of an error the task throws', async () => {
    const s = await start([{ name: 'fails', module: './throws.ts' }])
    await expect(s.taskRun('fails')).resolves.toMatchObject({
      ok: false,
      outcome: 'failed',
      error: { code: 'E_UNREACHABLE', message: 'the chain node is unreachable' },
    })
  })

  it('stops a task that busy-loops past its timeout by terminating its thread', async () => {
    const s = await start([
      { name: 'spin', module: './busy-loop.ts', timeoutMs: 200 },
      { name: 'sum', module: './returns.ts', input: { values: [2] } },
    ])
    await expect(s.taskRun('spin')).resolves.toMatchObject({ outcome: 'timedOut', error: { code: 'SVC_ERR_SCHED_TIMEOUT' } })
    // The pool replaced the terminated thread and still works.
    await expect(s.taskRun('sum')).resolves.toMatchObject({ ok: true, result: { sum: 2 } })
    expect(s.taskList()[0]?.counts).toMatchObject({ runs: 1, timedOut: 1 })
  })

  it('cancels a busy-looping task on taskStop', async () => {
    const s = await start([{ name: 'spin', module: './busy-loop.ts' }])
    const started = new Promise((resolve) => s.once('run:start', resolve))
    const run = s.taskRun('spin')
    await started
    await expect(s.taskStop('spin')).resolves.toMatchObject({ enabled: false, running: false, counts: { cancelled: 1 } })
    await expect(run).resolves.toMatchObject({ outcome: 'cancelled', error: { code: 'SVC_ERR_SCHED_CANCELLED' } })
  })

  // With a one-minute grace period only the task's own signal can end this run before the test times out.
  it('aborts the signal the task module receives before terminating the thread', async () => {
    const s = await start([{ name: 'polite', module: './waits-for-abort.ts' }], 60_000)
    const run = s.taskRun('polite')
    await s.taskStop('polite')
    await expect(run).resolves.toMatchObject({ outcome: 'cancelled' })
  })

  it('reports a module without a default export function', async () => {
    const s = await start([{ name: 'nodefault', module: './no-default.ts' }])
    await expect(s.taskRun('nodefault')).resolves.toMatchObject({ ok: false, error: { code: 'SVC_ERR_SCHED_MODULE_NO_DEFAULT' } })
  })
})

describe('TinypoolModuleRunner', () => {
  it('fails runs instead of hanging when a worker thread dies while starting, and starts a fresh pool for the next run', async () => {
    const { TinypoolModuleRunner } = await import('../src/module-runner.js')
    const runner = new TinypoolModuleRunner({ workerFile: `${fixtures}broken-worker.mjs` })
    try {
      const signal = new AbortController().signal
      await expect(runner.run(`${fixtures}returns.ts`, undefined, signal)).rejects.toMatchObject({ code: 'SVC_ERR_SCHED_WORKER_FAILED' })
      await expect(runner.run(`${fixtures}returns.ts`, undefined, signal)).rejects.toMatchObject({ code: 'SVC_ERR_SCHED_WORKER_FAILED' })
    } finally {
      await runner.close()
    }
  })
})
