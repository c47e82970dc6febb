import { describe, expect, test } from '@jest/globals'
import { loaderFor } from '../../src/remote/module-loader.js'

describe('which loader a service process uses', () => {
  test.each([
    ['/srv/a.js', 'native'],
    ['/srv/a.mjs', 'native'],
    ['/srv/a.cjs', 'native'],
    ['/srv/a.ts', 'jiti'],
    ['/srv/a.mts', 'jiti'],
    ['/srv/a.json.ts', 'jiti'],
    ['/srv/jsfile', 'jiti'],
  ])('%s → %s', (entry, kind) => expect(loaderFor(entry)).toBe(kind))
})
