// Formatting that scripts and people read: tables, durations, graphs, call targets, colour rules.

import { describe, expect, it } from '@jest/globals'
import { parseArg, parseTarget } from '../src/commands/call.js'
import { colorsEnabled } from '../src/output/colors.js'
import { bytes, duration } from '../src/output/format.js'
import { renderGraph } from '../src/output/graph.js'
import { table } from '../src/output/table.js'

const graph = {
  services: [
    { name: 'db', dependsOn: [] },
    { name: 'api-v2', dependsOn: ['db'] },
    { name: 'web', dependsOn: ['api-v2', 'db'] },
  ],
  startOrder: ['db', 'api-v2', 'web'],
}

describe('output', () => {
  it('aligns table columns and right-aligns numbers', () => {
    const text = table(
      [
        { n: 'a', v: 1 },
        { n: 'long-name', v: 12345 },
      ],
      [
        { header: 'NAME', value: (r) => r.n },
        { header: 'N', value: (r) => String(r.v), align: 'right' },
      ],
    )
    expect(text).toBe('NAME           N\na              1\nlong-name  12345')
  })

  it('formats durations and sizes compactly', () => {
    expect([duration(850), duration(5_000), duration(125_000), duration(3 * 3600_000 + 60_000), duration(50 * 3600_000)]).toEqual([
      '850ms',
      '5s',
      '2m05s',
      '3h01m',
      '2d02h',
    ])
    expect([bytes(512), bytes(1536), bytes(50 * 1024 * 1024)]).toEqual(['512B', '1.5KB', '50MB'])
  })

  it('renders the graph as text, mermaid and dot, arrows towards dependencies', () => {
    expect(renderGraph(graph, 'text')).toBe(
      'db\napi-v2 → db\nweb    → api-v2, db\n\nstart order: db → api-v2 → web\nclose order: web → api-v2 → db',
    )
    expect(renderGraph(graph, 'mermaid')).toBe(
      'graph TD\n  s0["db"]\n  s1["api-v2"]\n  s2["web"]\n  s1 --> s0\n  s2 --> s1\n  s2 --> s0',
    )
    expect(renderGraph(graph, 'dot')).toContain('  "web" -> "api-v2";\n  "web" -> "db";\n}')
  })

  it('splits call targets at the last dot and parses arguments as JSON, else strings', () => {
    expect(parseTarget('api.v2.list')).toEqual({ service: 'api.v2', method: 'list' })
    expect(() => parseTarget('nodot')).toThrow('"nodot" is not service.method.')
    expect(() => parseTarget('front.')).toThrow()
    expect([parseArg('{"a":1}'), parseArg('42'), parseArg('"x"'), parseArg('plain text')]).toEqual([{ a: 1 }, 42, 'x', 'plain text'])
  })

  it('colours only a terminal, never with NO_COLOR, always with FORCE_COLOR', () => {
    const tty = { isTTY: true } as NodeJS.WriteStream
    const pipe = { isTTY: false } as NodeJS.WriteStream
    expect(colorsEnabled(tty, {}, [])).toBe(true)
    expect(colorsEnabled(pipe, { CI: 'true' }, [])).toBe(false)
    expect(colorsEnabled(tty, { NO_COLOR: '1' }, [])).toBe(false)
    expect(colorsEnabled(tty, {}, ['--no-color'])).toBe(false)
    expect(colorsEnabled(pipe, { FORCE_COLOR: '1' }, [])).toBe(true)
    expect(colorsEnabled(tty, { TERM: 'dumb' }, [])).toBe(false)
  })
})
