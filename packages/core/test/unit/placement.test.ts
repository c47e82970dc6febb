// Where a service's instances run, decided alike on every host from its placement and the hosts up.

import { expect, test } from '@jest/globals'
import { decide } from '../../src/cluster/placement.js'

test('pinned: instances spread in turn over the listed hosts that are up; every instance runs on exactly one host', () => {
  const up = ['a', 'b', 'c']
  const here = (host: string) => decide({ hosts: ['a', 'b'] }, 5, host, up)
  expect(here('a')).toEqual({ kind: 'here', instances: [0, 2, 4] })
  expect(here('b')).toEqual({ kind: 'here', instances: [1, 3] })
  expect(here('c')).toEqual({ kind: 'here', instances: [] })
  // b down: a takes them all.
  expect(decide({ hosts: ['a', 'b'] }, 5, 'a', ['a', 'c'])).toEqual({ kind: 'here', instances: [0, 1, 2, 3, 4] })
})

test('pinned to hosts none of which is up: pending, with the reason', () => {
  expect(decide({ hosts: ['x', 'y'] }, 1, 'a', ['a', 'b'])).toEqual({ kind: 'pending', reason: 'none of its hosts (x, y) is up' })
})

test("'every': each host up runs all instances; 'any': whoever holds the lease", () => {
  expect(decide('every', 2, 'b', ['a', 'b'])).toEqual({ kind: 'here', instances: [0, 1] })
  expect(decide('every', 2, 'z', ['a', 'b'])).toEqual({ kind: 'here', instances: [] })
  expect(decide('any', 1, 'a', ['a'])).toEqual({ kind: 'lease' })
})
