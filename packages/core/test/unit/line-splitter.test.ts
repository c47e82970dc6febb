import { expect, test } from '@jest/globals'
import { LineSplitter, MAX_LINE_LENGTH } from '../../src/container/line-splitter.js'

test('splits on newlines across chunks, keeps multi-byte characters whole, flushes the rest at end', () => {
  const lines: string[] = []
  const s = new LineSplitter((l) => lines.push(l))
  const euro = Buffer.from('€')
  s.write(Buffer.from('one\r\ntw'))
  s.write(Buffer.concat([Buffer.from('o '), euro.subarray(0, 1)]))
  s.write(Buffer.concat([euro.subarray(1), Buffer.from('\nlast')]))
  s.end()
  expect(lines).toEqual(['one', 'two €', 'last'])
})

test('a line longer than the cap is cut into capped pieces instead of buffered without bound', () => {
  const lines: string[] = []
  const s = new LineSplitter((l) => lines.push(l))
  s.write(Buffer.from('x'.repeat(MAX_LINE_LENGTH * 2 + 10)))
  expect(lines).toHaveLength(2)
  expect(lines.every((l) => l.length === MAX_LINE_LENGTH)).toBe(true)
  s.end()
  expect(lines[2]).toHaveLength(10)
})

test('every line longer than the cap is cut at the cap, complete lines too, not only the trailing partial one', () => {
  const lines: string[] = []
  const s = new LineSplitter((l) => lines.push(l))
  s.write(Buffer.from(`${'a'.repeat(MAX_LINE_LENGTH * 2 + 5)}\r\nshort\n${'b'.repeat(MAX_LINE_LENGTH)}\n`))
  expect(lines.map((l) => l.length)).toEqual([MAX_LINE_LENGTH, MAX_LINE_LENGTH, 5, 5, MAX_LINE_LENGTH])
  expect(lines[2]).toBe('aaaaa')
  expect(lines[3]).toBe('short')
})
