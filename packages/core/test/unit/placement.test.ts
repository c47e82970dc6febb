// Where a service's instances run, decided alike on every host from its placement and the hosts up.

import { expect, test } from '@jest/globals'
import { eligible, preferredHost, unplaceable } from '../../src/cluster/placement.js'

test('pinned: slots are preferred in turn on the listed hosts that are up; only listed hosts may hold them', () => {
  const pinned = { hosts: ['a', 'b'] }
  expect([0, 1, 2, 3, 4].map((i) => preferredHost(pinned, i, ['a', 'b', 'c']))).toEqual(['a', 'b', 'a', 'b', 'a'])
  // b down: a is preferred for all of them.
  expect([0, 1, 2].map((i) => preferredHost(pinned, i, ['a', 'c']))).toEqual(['a', 'a', 'a'])
  expect([eligible(pinned, 'a'), eligible(pinned, 'c')]).toEqual([true, false])
})

test('pinned to hosts none of which is up: no preferred host, and the reason', () => {
  expect(preferredHost({ hosts: ['x', 'y'] }, 0, ['a', 'b'])).toBeNull()
  expect(unplaceable({ hosts: ['x', 'y'] }, ['a', 'b'])).toBe('none of its hosts (x, y) is up')
  expect(unplaceable({ hosts: ['x', 'b'] }, ['a', 'b'])).toBeNull()
})

test("'any' (the default) spreads slots over every host up; 'every' has no slots: each host runs its own", () => {
  expect([0, 1, 2].map((i) => preferredHost(null, i, ['a', 'b']))).toEqual(['a', 'b', 'a'])
  expect(preferredHost('any', 0, [])).toBeNull()
  expect(preferredHost('every', 0, ['a'])).toBeNull()
  expect([eligible('any', 'z'), eligible('every', 'z'), eligible(null, 'z')]).toEqual([true, true, true])
})
