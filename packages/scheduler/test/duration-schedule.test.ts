import { describe, expect, it } from '@jest/globals'
import { parseDuration } from '../src/duration.js'
import { nextRunAfter, slotOf } from '../src/schedule.js'
import { validateTask } from '../src/task.js'

describe('parseDuration', () => {
  it.each([
    ['250ms', 250],
    ['30s', 30_000],
    ['1.5s', 1_500],
    ['5m', 300_000],
    ['1h', 3_600_000],
    [' 2 s ', 2_000],
    [1_000, 1_000],
  ])('reads %p as %p ms', (input, ms) => {
    expect(parseDuration(input)).toBe(ms)
  })

  it.each(['', '5', '5d', '-1s', '0s', 'soon', 0, -5, Number.NaN, Infinity, null, {}])('refuses %p', (input) => {
    expect(parseDuration(input)).toBeUndefined()
  })
})

describe('schedule', () => {
  const every = validateTask({ name: 't', every: '5s', call: { service: 's', method: 'm' } })
  const cron = validateTask({ name: 'c', cron: '0 * * * *', call: { service: 's', method: 'm' } })

  it('puts every-runs on the epoch grid, strictly after the given time', () => {
    expect(nextRunAfter(every, 0)).toBe(5_000)
    expect(nextRunAfter(every, 4_999)).toBe(5_000)
    expect(nextRunAfter(every, 5_000)).toBe(10_000)
    expect(slotOf(every, 10_000)).toBe(2)
  })

  it('takes cron times strictly after the given time, in UTC by default', () => {
    expect(nextRunAfter(cron, 0)).toBe(3_600_000)
    expect(nextRunAfter(cron, 3_600_000)).toBe(7_200_000)
    expect(slotOf(cron, 3_600_000)).toBe(3_600_000)
  })

  it('honours a cron time zone', () => {
    const zoned = validateTask({ name: 'z', cron: '0 9 * * *', tz: 'Asia/Kolkata', call: { service: 's', method: 'm' } })
    // 09:00 in India (UTC+5:30) is 03:30 UTC.
    expect(new Date(nextRunAfter(zoned, 0)).toISOString()).toBe('1970-01-01T03:30:00.000Z')
  })
})
