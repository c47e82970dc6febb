import { expect, test } from '@jest/globals'
test('smoke', () => { expect(1).toBe(1) })
