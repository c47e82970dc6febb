// Formatting that scripts and people read: tables, durations, graphs, call targets, colour rules.

import { describe, expect, it } from '@jest/globals'
import { parseArg, parseTarget } from '../src/commands/call.js'
import { colorsEnabled } from '../src/output/colors.js'
import { bytes, duration } from '../src/output/format.js'
import { renderGraph } from '../src/output/graph.js'
import { servicesTable } from '../src/output/services.js'
import { table } from '../src/output/table.js'
import type { ServiceSnapshot } from '@services-cluster/core'
import type { GraphInfo } from '../src/control/protocol.js'

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

  it("labels an edge with its condition when it is not 'ready', in every format", () => {
    const mixed: GraphInfo = {
      services: [
        { name: 'redis', dependsOn: [], conditions: {} },
        { name: 'migrate', dependsOn: ['redis'], conditions: { redis: 'ready' } },
        { name: 'api', dependsOn: ['redis', 'migrate'], conditions: { redis: 'started', migrate: 'completed' } },
      ],
      startOrder: ['redis', 'migrate', 'api'],
    }
    expect(renderGraph(mixed, 'text').split('\n').slice(0, 3)).toEqual(['redis', 'migrate → redis', 'api     → redis (started), migrate (completed)'])
    expect(renderGraph(mixed, 'mermaid')).toContain('  s1 --> s0\n  s2 -->|started| s0\n  s2 -->|completed| s1')
    expect(renderGraph(mixed, 'dot')).toContain('  "migrate" -> "redis";\n  "api" -> "redis" [label="started"];\n  "api" -> "migrate" [label="completed"];')
  })

  it('shows command services, one-shots, conditions and what a start waits for in the services table', () => {
    const base: ServiceSnapshot = {
      name: 'api', state: 'running', display: 'running', pid: 10, sparePid: null, directSocket: null, dependsOn: [], conditions: {},
      kind: 'node', command: null, oneshot: false, waitingFor: null, restarts: 0, startedAt: null, lastExit: null, usage: null,
      calls: { count: 0, errors: 0, totalMs: 0 }, critical: false, parent: null, desiredInstances: 1, instances: [], listen: null,
    }
    const node = servicesTable([base])
    expect(node.split('\n')[0]!.split(/\s{2,}/)).toEqual(['NAME', 'STATE', 'PID', 'UPTIME', 'RESTARTS', 'CPU', 'MEM', 'DEPENDS ON']) // unchanged without commands
    const rows = servicesTable([
      { ...base, name: 'redis', state: 'starting', display: 'starting', kind: 'command', command: 'redis-server --port 6390', waitingFor: 'tcp 127.0.0.1:6390' },
      { ...base, name: 'migrate', state: 'completed', display: 'completed', pid: null, kind: 'command', command: 'node scripts/migrate.js', oneshot: true },
      { ...base, dependsOn: ['redis', 'migrate'], conditions: { redis: 'started', migrate: 'completed' } },
    ]).split('\n')
    expect(rows[0]!.split(/\s{2,}/)).toEqual(['NAME', 'STATE', 'PID', 'UPTIME', 'RESTARTS', 'CPU', 'MEM', 'DEPENDS ON', 'KIND', 'COMMAND'])
    expect(rows.slice(1).map((r) => r.split(/\s{2,}/))).toEqual([
      ['redis', 'starting · waiting for tcp 127.0.0.1:6390', '10', '-', '0', '-', '-', '-', 'command', 'redis-server --port 6390'],
      ['migrate', 'completed', '-', '-', '0', '-', '-', '-', 'oneshot', 'node scripts/migrate.js'],
      ['api', 'running', '10', '-', '0', '-', '-', 'redis(started),migrate(completed)', 'node', '-'],
    ])
  })

  it('shows a service of several instances with its count and a row per instance; a graph without one reads as before', () => {
    const base: ServiceSnapshot = {
      name: 'db', state: 'running', display: 'running', pid: 9, sparePid: null, directSocket: null, dependsOn: [], conditions: {},
      kind: 'node', command: null, oneshot: false, waitingFor: null, restarts: 1, startedAt: 1_000, lastExit: null, usage: { at: 0, cpu: 3, rss: 2048 },
      calls: { count: 0, errors: 0, totalMs: 0 }, critical: false, parent: null, desiredInstances: 1, listen: null,
      instances: [{ id: 'db#0', index: 0, state: 'running', pid: 9, inFlight: 0, restarts: 1, startedAt: 0, host: 'local', usage: null }],
    }
    const one = servicesTable([base], 5_000)
    expect(one.split('\n').map((r) => r.split(/\s{2,}/))).toEqual([
      ['NAME', 'STATE', 'PID', 'UPTIME', 'RESTARTS', 'CPU', 'MEM', 'DEPENDS ON'],
      ['db', 'running', '9', '4s', '1', '3.0%', '2.0KB', '-'],
    ])
    const instance = (index: number, state: 'running' | 'starting', inFlight: number) => ({
      id: `api#${index}`, index, state, pid: state === 'running' ? 20 + index : null, inFlight, restarts: index, startedAt: 1_000, host: 'local',
      usage: state === 'running' ? { at: 0, cpu: 1.5, rss: 1024 } : null,
    })
    const api: ServiceSnapshot = { ...base, name: 'api', pid: 20, restarts: 1, dependsOn: ['db'], desiredInstances: 3, instances: [instance(0, 'running', 2), instance(1, 'running', 0), instance(2, 'starting', 0)] }
    const rows = servicesTable([base, api], 5_000).split('\n')
    expect(rows.map((r) => r.trim().split(/\s{2,}/))).toEqual([
      ['NAME', 'STATE', 'PID', 'INFLIGHT', 'UPTIME', 'RESTARTS', 'CPU', 'MEM', 'DEPENDS ON'],
      ['db', 'running', '9', '0', '4s', '1', '3.0%', '2.0KB', '-'],
      ['api', 'running 2/3', '-', '2', '4s', '1', '3.0%', '2.0KB', 'db'],
      ['api#0', 'running', '20', '2', '4s', '0', '1.5%', '1.0KB'],
      ['api#1', 'running', '21', '0', '4s', '1', '1.5%', '1.0KB'],
      ['api#2', 'starting', '-', '0', '-', '2', '-', '-'],
    ])
    expect(rows[3]).toMatch(/^ {2}api#0 /)
  })

  it('adds a HOST column once the graph spans several hosts (a cluster on NATS): each instance where it runs', () => {
    const on = (id: string, host: string, pid: number | null) => ({ id, index: Number(id.slice(-1)), state: 'running' as const, pid, inFlight: 0, restarts: 0, startedAt: 1_000, host, usage: null })
    const base: ServiceSnapshot = {
      name: 'store', state: 'running', display: 'running', pid: null, sparePid: null, directSocket: null, dependsOn: [], conditions: {},
      kind: 'node', command: null, oneshot: false, waitingFor: null, restarts: 0, startedAt: 1_000, lastExit: null, usage: null,
      calls: { count: 0, errors: 0, totalMs: 0 }, critical: false, parent: null, desiredInstances: 1, listen: null, instances: [on('store#0', 'a', null)],
    }
    const api: ServiceSnapshot = { ...base, name: 'api', pid: 7, dependsOn: ['store'], desiredInstances: 2, instances: [on('api#0', 'b', 7), on('api#1', 'c', null)] }
    const rows = servicesTable([base, api], 5_000).split('\n').map((r) => r.trim().split(/\s{2,}/))
    expect(rows.map((r) => r.slice(0, 4))).toEqual([
      ['NAME', 'STATE', 'HOST', 'PID'],
      ['store', 'running', 'a', '-'],
      ['api', 'running 2/2', 'b,c', '-'],
      ['api#0', 'running', 'b', '7'],
      ['api#1', 'running', 'c', '-'],
    ])
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
