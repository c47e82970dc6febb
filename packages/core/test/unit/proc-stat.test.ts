import { expect, test } from '@jest/globals'
import { statFields } from '../../src/supervision/proc-stat.js'

test('fields are counted from the last parenthesis: a command name may hold spaces and parentheses', () => {
  const fields = statFields('4242 (a (b) c) Z 1 4242 4242 0 -1 4227084 0 0 0 0 1 2 0 0 20 0 1 0 99 0 0\n')
  expect(fields[0]).toBe('Z') // state
  expect(fields[2]).toBe('4242') // process group
  expect(fields[11]).toBe('1') // utime
  expect(fields[19]).toBe('99') // starttime
  expect(fields.at(-1)).toBe('0') // no trailing newline
})
