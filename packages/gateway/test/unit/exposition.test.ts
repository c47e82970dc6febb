import { expect, test } from '@jest/globals'
import { Exposition } from '../../src/metrics/exposition.js'

test('label values escape backslash, quote and newline; HELP escapes backslash and newline', () => {
  const text = new Exposition()
    .family('m_total', 'counter', 'a \\ help\nline')
    .sample('m_total', 1, { service: 'we"ird\\name\nx' })
    .toString()
  expect(text).toBe('# HELP m_total a \\\\ help\\nline\n# TYPE m_total counter\nm_total{service="we\\"ird\\\\name\\nx"} 1\n')
})

test('a family is declared once; special values use Prometheus spelling', () => {
  const text = new Exposition().family('g', 'gauge', 'h').family('g', 'gauge', 'h').sample('g', NaN).sample('g', Infinity).toString()
  expect(text.match(/# TYPE g gauge/g)).toHaveLength(1)
  expect(text).toContain('g NaN\ng +Inf\n')
})

test('histogram buckets are cumulative and end with +Inf, _sum and _count', () => {
  const text = new Exposition().family('h', 'histogram', 'x').histogram('h', [0.1, 1], [2, 3, 1], 4.5, { m: 'a' }).toString()
  expect(text).toContain('h_bucket{m="a",le="0.1"} 2\nh_bucket{m="a",le="1"} 5\nh_bucket{m="a",le="+Inf"} 6\nh_sum{m="a"} 4.5\nh_count{m="a"} 6\n')
})
