import { afterEach, describe, expect, it } from '@jest/globals'
import { once } from 'node:events'
import { join } from 'node:path'
import { MAX_TIMER_MS } from '../src/clock.js'
import { deferred, FakeGate } from './helpers/fakes.js'
import { checkTask, fixtures, harness, type Harness } from './helpers/setup.js'

let h: Harness | undefined
afterEach(async () => {
  await h?.scheduler.stop()
  expect(h?.clock.pending ?? 0).toBe(0)
  h = undefined
})

describe('every', () => {
  it('runs on multiples of the interval since the epoch, not since start', async () => {
    h = harness({ start: 1_000 })
    const [status] = await h.scheduler.bootstrap([checkTask])
    expect(status?.nextRunAt).toBe(5_000)
    await h.clock.advanceTo(4_999)
    expect(h.calls).toHaveLength(0)
    await h.clock.advanceTo(5_000)
    expect(h.calls).toEqual([{ service: 'checker', method: 'check', args: [1], options: expect.objectContaining({ timeoutMs: undefined }) }])
    await h.clock.advanceTo(15_000)
    const [after] = h.scheduler.taskList()
    expect(after?.counts).toMatchObject({ runs: 3, ok: 3, failed: 0, skipped: 0 })
    expect(after?.lastRun).toMatchObject({ at: 15_000, ok: true, outcome: 'ok', trigger: 'schedule', result: 'ok' })
    expect(after?.nextRunAt).toBe(20_000)
  })

  it('accepts a number of milliseconds', async () => {
    h = harness()
    await h.scheduler.bootstrap([{ ...checkTask, every: 250 }])
    await h.clock.advance(1_000)
    expect(h.calls).toHaveLength(4)
  })

  it('does not catch up missed runs after the process was paused', async () => {
    h = harness()
    await h.scheduler.bootstrap([checkTask])
    // The event loop was blocked from 4 s to 27 s: the 5 s timer fires late, once.
    await h.clock.advanceTo(4_000)
    h.clock.jump(23_000)
    await h.clock.advance(0)
    expect(h.calls).toHaveLength(1)
    expect(h.scheduler.taskList()[0]?.nextRunAt).toBe(30_000)
  })
})

describe('cron', () => {
  it('runs at the times the expression names', async () => {
    h = harness({ start: 60_000 })
    const [status] = await h.scheduler.bootstrap([{ name: 'five', cron: '*/5 * * * *', call: { service: 's', method: 'm' } }])
    expect(status?.nextRunAt).toBe(300_000)
    await h.clock.advanceTo(600_000)
    expect(h.calls).toHaveLength(2)
    expect(h.calls[0]?.args).toEqual([])
    expect(h.scheduler.taskList()[0]?.nextRunAt).toBe(900_000)
  })

  it('splits waits longer than a Node timer allows and still fires on time', async () => {
    h = harness()
    await h.scheduler.bootstrap([{ name: 'yearly', cron: '0 0 1 1 *', call: { service: 's', method: 'm' } }])
    const at = Date.UTC(1971, 0, 1)
    expect(h.scheduler.taskList()[0]?.nextRunAt).toBe(at)
    await h.clock.advanceTo(at - 1)
    expect(h.calls).toHaveLength(0)
    await h.clock.advanceTo(at)
    expect(h.calls).toHaveLength(1)
    expect(Math.max(...h.clock.delays)).toBeLessThanOrEqual(MAX_TIMER_MS)
  })
})

describe('overlap', () => {
  it('skips a tick while the previous run is still in flight, and counts it', async () => {
    const slow = deferred<unknown>()
    h = harness({ respond: () => slow.promise })
    await h.scheduler.bootstrap([checkTask])
    const skips: string[] = []
    h.scheduler.on('run:skip', (task, reason) => skips.push(`${task}:${reason}`))
    await h.clock.advanceTo(15_000)
    expect(h.calls).toHaveLength(1)
    expect(skips).toEqual(['check:overlap', 'check:overlap'])
    expect(h.scheduler.taskList()[0]).toMatchObject({ running: true, counts: { runs: 1, skipped: 2 } })
    const ended = once(h.scheduler, 'run:end')
    slow.resolve(42)
    const [, run] = await ended
    expect(run).toMatchObject({ ok: true, result: 42, at: 5_000, durationMs: 10_000 })
    expect(h.scheduler.taskList()[0]).toMatchObject({ running: false, counts: { runs: 1, ok: 1, skipped: 2 } })
    await h.clock.advanceTo(20_000)
    expect(h.calls).toHaveLength(2)
  })
})

describe('run outcomes', () => {
  it('records a failed call with its error code', async () => {
    h = harness({ respond: async () => Promise.reject(Object.assign(new Error('node down'), { code: 'E_DOWN' })) })
    await h.scheduler.bootstrap([checkTask])
    await h.clock.advanceTo(5_000)
    const [status] = h.scheduler.taskList()
    expect(status?.counts).toMatchObject({ runs: 1, ok: 0, failed: 1 })
    expect(status?.lastRun).toMatchObject({ ok: false, outcome: 'failed', error: { message: 'node down', code: 'E_DOWN' } })
  })

  it('times a call out after timeoutMs and passes the timeout to the call', async () => {
    h = harness({ respond: () => new Promise(() => {}) })
    await h.scheduler.bootstrap([{ ...checkTask, every: '1m', timeoutMs: 2_000 }])
    await h.clock.advanceTo(60_000)
    expect(h.calls[0]?.options.timeoutMs).toBe(2_000)
    expect(h.scheduler.taskList()[0]?.running).toBe(true)
    await h.clock.advanceTo(62_000)
    const [status] = h.scheduler.taskList()
    expect(status?.running).toBe(false)
    expect(status?.counts).toMatchObject({ runs: 1, timedOut: 1, failed: 0 })
    expect(status?.lastRun).toMatchObject({ outcome: 'timedOut', durationMs: 2_000, error: { code: 'SVC_ERR_SCHED_TIMEOUT' } })
    expect(h.calls[0]?.options.signal.aborted).toBe(true)
  })

  it('times out a module task by aborting its signal, and waits for the runner to let go', async () => {
    h = harness()
    await h.scheduler.bootstrap([{ name: 'heavy', every: '1m', module: './returns.ts', input: { n: 1 }, timeoutMs: 1_000 }])
    await h.clock.advanceTo(60_000)
    expect(h.modules.runs).toHaveLength(1)
    expect(h.modules.runs[0]?.modulePath).toBe(join(fixtures, 'returns.ts'))
    expect(h.modules.runs[0]?.input).toEqual({ n: 1 })
    await h.clock.advanceTo(61_000)
    expect(h.modules.runs[0]?.signal.aborted).toBe(true)
    expect(h.scheduler.taskList()[0]).toMatchObject({ running: false, counts: { timedOut: 1 }, lastRun: { outcome: 'timedOut' } })
  })

  it('records a module result', async () => {
    h = harness()
    await h.scheduler.bootstrap([{ name: 'heavy', every: '1m', module: './returns.ts' }])
    await h.clock.advanceTo(60_000)
    const ended = once(h.scheduler, 'run:end')
    h.modules.runs[0]?.done.resolve({ sum: 3 })
    expect((await ended)[1]).toMatchObject({ ok: true, result: { sum: 3 } })
  })
})

describe('cluster gate', () => {
  it('asks for slot floor(t / every) and runs only the slots it is granted', async () => {
    const gate = new FakeGate((_task, slot) => slot % 2 === 0)
    h = harness({ pool: gate })
    await h.scheduler.bootstrap([checkTask])
    await h.clock.advanceTo(20_000)
    expect(gate.asked).toEqual([1, 2, 3, 4].map((slot) => ({ task: 'check', slot })))
    expect(h.calls).toHaveLength(2)
    expect(h.scheduler.taskList()[0]?.counts).toMatchObject({ runs: 2, ok: 2, notClaimed: 2, skipped: 0 })
  })

  it('uses the scheduled timestamp as the slot of a cron run', async () => {
    const gate = new FakeGate(() => true)
    h = harness({ pool: gate })
    await h.scheduler.bootstrap([{ name: 'c', cron: '*/5 * * * *', call: { service: 's', method: 'm' } }])
    await h.clock.advanceTo(300_000)
    expect(gate.asked).toEqual([{ task: 'c', slot: 300_000 }])
  })

  it('skips a run whose claim fails, with a warning', async () => {
    h = harness({ pool: new FakeGate(() => new Error('redis down')) })
    await h.scheduler.bootstrap([checkTask])
    await h.clock.advanceTo(5_000)
    expect(h.calls).toHaveLength(0)
    expect(h.scheduler.taskList()[0]?.counts.notClaimed).toBe(1)
    expect(String(h.warnings[0]?.[0])).toContain('task "check"')
  })

  it('passes the scheduled time with each claim, so a gate can refuse late claims', async () => {
    const gate = new FakeGate(() => true)
    h = harness({ pool: gate })
    await h.scheduler.bootstrap([checkTask])
    await h.clock.advanceTo(10_000)
    expect(gate.scheduledAt).toEqual([5_000, 10_000])
  })

  it('counts a claim refused as late in notClaimed and lateRejected, with a warning', async () => {
    const gate = new FakeGate((_task, slot) => (slot === 1 ? 'late' : slot === 2 ? 'not-owner' : true))
    h = harness({ pool: gate })
    const skips: string[] = []
    h.scheduler.on('run:skip', (_task, reason) => skips.push(reason))
    await h.scheduler.bootstrap([checkTask])
    await h.clock.advanceTo(15_000)
    expect(skips).toEqual(['late', 'not-claimed'])
    expect(h.calls).toHaveLength(1)
    expect(h.scheduler.taskList()[0]?.counts).toMatchObject({ runs: 1, notClaimed: 2, lateRejected: 1, unconfirmed: 0 })
    expect(h.warnings.map(String).join('\n')).toContain('run 1 of task "check" was claimed too long after it was due')
  })

  it('confirms each claimed run after it ends and records slot, token and confirmation', async () => {
    const gate = new FakeGate(() => true)
    h = harness({ pool: gate })
    await h.scheduler.bootstrap([checkTask])
    const ended = once(h.scheduler, 'run:end')
    await h.clock.advanceTo(5_000)
    expect((await ended)[1]).toMatchObject({ ok: true, claim: { slot: 1, token: 1001, confirmed: true } })
    expect(gate.confirmed).toEqual([{ token: 1001 }])
    expect(h.scheduler.taskList()[0]?.counts.unconfirmed).toBe(0)
  })

  it('counts and reports a run whose claim lapsed during the run (confirm false or failing)', async () => {
    const gate = new FakeGate(() => true, (claim) => (claim.token === 1001 ? false : new Error('redis down')))
    h = harness({ pool: gate })
    const lapsed: number[] = []
    h.scheduler.on('run:unconfirmed', (_task, claim) => lapsed.push(claim.token))
    await h.scheduler.bootstrap([checkTask])
    await h.clock.advanceTo(10_000)
    expect(lapsed).toEqual([1001, 1002])
    expect(h.scheduler.taskList()[0]).toMatchObject({
      counts: { runs: 2, ok: 2, unconfirmed: 2 },
      lastRun: { ok: true, claim: { slot: 2, token: 1002, confirmed: false } },
    })
    expect(h.warnings.map(String).join('\n')).toContain('fencing token 1001')
  })

  it('passes the run (slot, token) as the last argument of a call task with withRun', async () => {
    h = harness({ pool: new FakeGate(() => true) })
    await h.scheduler.bootstrap([{ ...checkTask, call: { ...checkTask.call, withRun: true } }])
    await h.clock.advanceTo(5_000)
    expect(h.calls[0]?.args).toEqual([1, { task: 'check', trigger: 'schedule', scheduledAt: 5_000, slot: 1, token: 1001 }])
    await h.scheduler.taskRun('check')
    expect(h.calls[1]?.args).toEqual([1, { task: 'check', trigger: 'manual', scheduledAt: null, slot: null, token: null }])
  })

  it('does not ask the gate for a manual run', async () => {
    const gate = new FakeGate(() => false)
    h = harness({ pool: gate })
    await h.scheduler.bootstrap([checkTask])
    await expect(h.scheduler.taskRun('check')).resolves.toMatchObject({ ok: true, trigger: 'manual' })
    expect(gate.asked).toEqual([])
  })
})
