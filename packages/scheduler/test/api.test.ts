import { afterEach, describe, expect, it } from '@jest/globals'
import { settle } from './helpers/fake-clock.js'
import { deferred } from './helpers/fakes.js'
import { checkTask, harness, type Harness } from './helpers/setup.js'

let h: Harness | undefined
afterEach(async () => {
  await h?.scheduler.stop()
  expect(h?.clock.pending ?? 0).toBe(0)
  h = undefined
})

const moduleTask = { name: 'heavy', every: '1m', module: './returns.ts' }

describe('taskList', () => {
  it('reports definition, state, counts and next run for each task', async () => {
    h = harness()
    await h.scheduler.bootstrap([checkTask, { ...moduleTask, enabled: false }])
    expect(h.scheduler.taskList()).toEqual([
      {
        definition: checkTask,
        source: 'config',
        enabled: true,
        running: false,
        lastRun: null,
        counts: { runs: 0, ok: 0, failed: 0, timedOut: 0, cancelled: 0, skipped: 0, notClaimed: 0, lateRejected: 0, unconfirmed: 0 },
        nextRunAt: 5_000,
      },
      expect.objectContaining({ definition: { ...moduleTask, enabled: false }, enabled: false, nextRunAt: null }),
    ])
  })

  it('returns copies that callers cannot use to change the scheduler', async () => {
    h = harness()
    await h.scheduler.bootstrap([checkTask])
    const [status] = h.scheduler.taskList()
    status!.counts.runs = 99
    status!.definition.name = 'changed'
    expect(h.scheduler.taskList()[0]).toMatchObject({ definition: { name: 'check' }, counts: { runs: 0 } })
  })
})

describe('taskRun', () => {
  it('runs a task now, even a disabled one, and resolves with the run', async () => {
    h = harness({ start: 1_000 })
    await h.scheduler.bootstrap([{ ...checkTask, enabled: false }])
    await expect(h.scheduler.taskRun('check')).resolves.toEqual({ at: 1_000, durationMs: 0, ok: true, outcome: 'ok', trigger: 'manual', result: 'ok' })
    expect(h.scheduler.taskList()[0]?.counts).toMatchObject({ runs: 1, ok: 1 })
  })

  it('refuses while the task is running', async () => {
    const slow = deferred<unknown>()
    h = harness({ respond: () => slow.promise })
    await h.scheduler.bootstrap([checkTask])
    const first = h.scheduler.taskRun('check')
    await expect(h.scheduler.taskRun('check')).rejects.toMatchObject({ code: 'SVC_ERR_SCHED_TASK_BUSY', task: 'check' })
    slow.resolve('done')
    await expect(first).resolves.toMatchObject({ result: 'done' })
  })

  it('names an unknown task', async () => {
    h = harness()
    await h.scheduler.bootstrap([])
    await expect(h.scheduler.taskRun('nope')).rejects.toMatchObject({ code: 'SVC_ERR_SCHED_TASK_UNKNOWN', message: expect.stringContaining('"nope"') })
  })
})

describe('taskStop / taskStart', () => {
  it('stops scheduling a task and starts it again', async () => {
    h = harness()
    await h.scheduler.bootstrap([checkTask])
    await expect(h.scheduler.taskStop('check')).resolves.toMatchObject({ enabled: false, nextRunAt: null })
    await h.clock.advanceTo(20_000)
    expect(h.calls).toHaveLength(0)
    await expect(h.scheduler.taskStart('check')).resolves.toMatchObject({ enabled: true, nextRunAt: 25_000 })
    await h.clock.advanceTo(25_000)
    expect(h.calls).toHaveLength(1)
  })

  it('aborts a running module task and counts it as cancelled', async () => {
    h = harness()
    await h.scheduler.bootstrap([moduleTask])
    const run = h.scheduler.taskRun('heavy')
    expect(h.scheduler.taskList()[0]?.running).toBe(true)
    const status = await h.scheduler.taskStop('heavy')
    expect(h.modules.runs[0]?.signal.aborted).toBe(true)
    expect(status).toMatchObject({ running: false, enabled: false, counts: { runs: 1, cancelled: 1, failed: 0 } })
    await expect(run).resolves.toMatchObject({ ok: false, outcome: 'cancelled', error: { code: 'SVC_ERR_SCHED_CANCELLED' } })
  })

  it('lets a running call task finish', async () => {
    const slow = deferred<unknown>()
    h = harness({ respond: () => slow.promise })
    await h.scheduler.bootstrap([checkTask])
    const run = h.scheduler.taskRun('check')
    await h.scheduler.taskStop('check')
    expect(h.calls[0]?.options.signal.aborted).toBe(false)
    slow.resolve('finished')
    await expect(run).resolves.toMatchObject({ ok: true, result: 'finished' })
  })
})

describe('taskAdd / taskRemove', () => {
  it('adds a task that is scheduled at once', async () => {
    h = harness()
    await h.scheduler.bootstrap([])
    await expect(h.scheduler.taskAdd(checkTask)).resolves.toMatchObject({ source: 'runtime', enabled: true, nextRunAt: 5_000 })
    await h.clock.advanceTo(5_000)
    expect(h.calls).toHaveLength(1)
  })

  it.each([
    ['no name', { every: '5s', call: checkTask.call }, 'SVC_ERR_SCHED_TASK_INVALID', 'name'],
    ['an invalid name', { ...checkTask, name: 'a b' }, 'SVC_ERR_SCHED_TASK_INVALID', 'name'],
    ['both every and cron', { ...checkTask, cron: '* * * * *' }, 'SVC_ERR_SCHED_TASK_INVALID', 'every'],
    ['neither every nor cron', { name: 'x', call: checkTask.call }, 'SVC_ERR_SCHED_TASK_INVALID', 'every|cron'],
    ['a bad duration', { ...checkTask, every: '5 parsecs' }, 'SVC_ERR_SCHED_DURATION_INVALID', 'every'],
    ['a zero duration', { ...checkTask, every: 0 }, 'SVC_ERR_SCHED_DURATION_INVALID', 'every'],
    ['a bad cron', { name: 'x', cron: '61 * * * *', call: checkTask.call }, 'SVC_ERR_SCHED_CRON_INVALID', 'cron'],
    ['a cron with 3 fields', { name: 'x', cron: '* * *', call: checkTask.call }, 'SVC_ERR_SCHED_CRON_INVALID', 'cron'],
    ['both call and module', { ...checkTask, module: './returns.ts' }, 'SVC_ERR_SCHED_TASK_INVALID', 'call'],
    ['neither call nor module', { name: 'x', every: '5s' }, 'SVC_ERR_SCHED_TASK_INVALID', 'call|module'],
    ['a call without method', { ...checkTask, call: { service: 's' } }, 'SVC_ERR_SCHED_TASK_INVALID', 'call.method'],
    ['a call with a non-boolean withRun', { ...checkTask, call: { service: 's', method: 'm', withRun: 'yes' } }, 'SVC_ERR_SCHED_TASK_INVALID', 'call.withRun'],
    ['a negative timeout', { ...checkTask, timeoutMs: -1 }, 'SVC_ERR_SCHED_TASK_INVALID', 'timeoutMs'],
    ['a missing module file', { ...moduleTask, module: './missing.ts' }, 'SVC_ERR_SCHED_MODULE_NOT_FOUND', 'module'],
    ['a duplicate name', checkTask, 'SVC_ERR_SCHED_TASK_DUPLICATE', 'name'],
  ])('rejects a task with %s, naming the task and field', async (_case, definition, code, field) => {
    h = harness()
    await h.scheduler.bootstrap([checkTask])
    const error = await h.scheduler.taskAdd(definition).catch((e: unknown) => e)
    expect(error).toMatchObject({ code, field })
    const name = (definition as { name?: string }).name
    if (name !== undefined) expect(error).toMatchObject({ task: name, message: expect.stringContaining(`"${name}"`) })
    expect(h.scheduler.taskList()).toHaveLength(1)
  })

  it('removes a runtime task but not a config task', async () => {
    h = harness()
    await h.scheduler.bootstrap([checkTask])
    await h.scheduler.taskAdd({ ...checkTask, name: 'extra' })
    await h.scheduler.taskRemove('extra')
    expect(h.scheduler.taskList().map((t) => t.definition.name)).toEqual(['check'])
    await expect(h.scheduler.taskRemove('check')).rejects.toMatchObject({ code: 'SVC_ERR_SCHED_TASK_NOT_REMOVABLE' })
  })
})

describe('bootstrap', () => {
  it('fails on an invalid config task and schedules nothing', async () => {
    h = harness()
    await expect(h.scheduler.bootstrap([checkTask, { name: 'bad', every: '1s' }])).rejects.toMatchObject({ task: 'bad', field: 'call|module' })
    expect(h.clock.pending).toBe(0)
    await expect(h.scheduler.taskAdd(checkTask)).rejects.toMatchObject({ code: 'SVC_ERR_SCHED_NOT_BOOTSTRAPPED' })
  })

  it('rejects duplicate names in the config', async () => {
    h = harness()
    await expect(h.scheduler.bootstrap([checkTask, checkTask])).rejects.toMatchObject({ code: 'SVC_ERR_SCHED_TASK_DUPLICATE', task: 'check' })
  })

  it('reloads: kept tasks keep their counts, dropped tasks are cancelled', async () => {
    h = harness()
    await h.scheduler.bootstrap([checkTask, moduleTask])
    await h.scheduler.taskRun('check')
    const heavy = h.scheduler.taskRun('heavy')
    await h.scheduler.bootstrap([{ ...checkTask, every: '10s' }])
    await expect(heavy).resolves.toMatchObject({ outcome: 'cancelled' })
    expect(h.scheduler.taskList()).toEqual([
      expect.objectContaining({ definition: expect.objectContaining({ every: '10s' }), counts: expect.objectContaining({ runs: 1 }), nextRunAt: 10_000 }),
    ])
  })

  it('keeps a run that is in flight across a reload, and its task runs again afterwards', async () => {
    const slow = deferred<unknown>()
    h = harness({ respond: () => slow.promise })
    await h.scheduler.bootstrap([checkTask])
    await h.clock.advanceTo(5_000)
    await h.scheduler.bootstrap([checkTask])
    expect(h.scheduler.taskList()[0]?.running).toBe(true)
    slow.resolve('late')
    await settle()
    expect(h.scheduler.taskList()[0]).toMatchObject({ running: false, lastRun: { result: 'late' }, counts: { ok: 1 } })
    await h.clock.advanceTo(10_000)
    expect(h.calls).toHaveLength(2)
  })
})

describe('stop', () => {
  it('cancels runs in flight, clears timers, closes the module runner and is idempotent', async () => {
    h = harness()
    await h.scheduler.bootstrap([checkTask, moduleTask])
    const heavy = h.scheduler.taskRun('heavy')
    await Promise.all([h.scheduler.stop(), h.scheduler.stop()])
    await expect(heavy).resolves.toMatchObject({ outcome: 'cancelled' })
    expect(h.modules.closed).toBe(true)
    expect(h.clock.pending).toBe(0)
    expect(h.scheduler.state).toBe('stopped')
    await expect(h.scheduler.taskRun('check')).rejects.toMatchObject({ code: 'SVC_ERR_SCHED_STOPPED' })
    await expect(h.scheduler.bootstrap([])).rejects.toMatchObject({ code: 'SVC_ERR_SCHED_STOPPED' })
  })
})
