import { describe, expect, test } from '@jest/globals'
import { backoffDelay } from '../../src/supervision/backoff.js'
import { decideRestart } from '../../src/supervision/restart-policy.js'
import type { ResolvedRestart } from '../../src/manifest/normalize.js'

const restart = (over: Partial<ResolvedRestart> = {}): ResolvedRestart => ({
  policy: 'on-failure',
  backoff: { initialMs: 100, maxMs: 1000, factor: 2, jitter: 0 },
  maxRestarts: 3,
  windowMs: 10_000,
  warmSpare: false,
  ...over,
})
const crash = { code: 1, signal: null }

describe('restart policy', () => {
  test('backoff grows exponentially up to the cap, jitter stays within its share', () => {
    const b = restart().backoff
    expect([0, 1, 2, 3, 4, 5].map((n) => backoffDelay(b, n))).toEqual([100, 200, 400, 800, 1000, 1000])
    const jittered = { ...b, jitter: 0.5 }
    expect(backoffDelay(jittered, 1, () => 0)).toBe(100)
    expect(backoffDelay(jittered, 1, () => 0.999999)).toBe(300)
  })

  test('on-failure restarts a crash but not a clean exit; never stays closed', () => {
    expect(decideRestart(restart(), crash, [], 0)).toMatchObject({ action: 'restart', delayMs: 100, attempt: 1 })
    expect(decideRestart(restart(), { code: 0, signal: null }, [], 0).action).toBe('stay-closed')
    expect(decideRestart(restart({ policy: 'always' }), { code: 0, signal: null }, [], 0).action).toBe('restart')
    expect(decideRestart(restart({ policy: 'never' }), crash, [], 0).action).toBe('stay-closed')
  })

  test('gives up past maxRestarts within the window, and forgets restarts older than the window', () => {
    expect(decideRestart(restart(), crash, [1, 2, 3], 100)).toMatchObject({ action: 'give-up' })
    expect(decideRestart(restart(), crash, [1, 2, 3], 20_000).action).toBe('restart')
    expect(decideRestart(restart(), crash, [1, 2], 100)).toMatchObject({ action: 'restart', delayMs: 400, attempt: 3 })
  })
})
