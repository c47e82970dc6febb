import { expect, test } from '@jest/globals'
import { oneForkPerTurn } from '../../src/container/launch.js'

// Each fork blocks the event loop; what matters is that the loop turns between two of them.
test('forks run in order, one per turn of the event loop; a failed fork does not hold up the next', async () => {
  const inTurn = oneForkPerTurn()
  const seen: string[] = []
  const fork = (name: string, fail = false) =>
    inTurn(() => {
      seen.push(name)
      setImmediate(() => seen.push(`turn after ${name}`))
      if (fail) throw new Error(`${name} failed`)
      return name
    })
  const results = await Promise.allSettled([fork('a'), fork('b', true), fork('c')])
  expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual(['a', 'b failed', 'c'])
  expect(seen.slice(0, 5)).toEqual(['a', 'turn after a', 'b', 'turn after b', 'c'])
})
