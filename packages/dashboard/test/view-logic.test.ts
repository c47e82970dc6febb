// The page's pure logic: where boxes go, which colour a state gets, how figures read.

import { describe, expect, it } from '@jest/globals'
import type { ServiceView } from '../src/protocol.js'
import {
  crashedLastTime, dependsOnText, duration, escapeControl, exitErrorText, inFlightOf, instanceBadge, instanceCount, instanceStateText, kindTag, lastExitText, showsInstances, stateLabel, stateText, summaryText, toneOf,
} from '../src/ui/format.js'
import { BOX, MAX_PER_ROW, dependenciesOf, dependentsOf, layoutGraph } from '../src/ui/graph-layout.js'

const graph = [
  { name: 'web', dependsOn: ['api'] },
  { name: 'api', dependsOn: ['db', 'cache'] },
  { name: 'db', dependsOn: [] },
  { name: 'cache', dependsOn: [] },
  { name: 'worker', dependsOn: ['db', 'api'] },
]

// A root and 55 services that depend on it: one layer, too wide for one row.
const wideLayer = [{ name: 'root', dependsOn: [] }, ...Array.from({ length: 55 }, (_, i) => ({ name: `s${i}`, dependsOn: ['root'] }))]

describe('graph layout', () => {
  it('puts dependencies in layers above their dependents; every arrow points up', () => {
    const { boxes, edges } = layoutGraph(graph)
    const row = (name: string) => boxes.get(name)!.y
    expect(row('db')).toBe(row('cache'))
    expect(row('api')).toBeGreaterThan(row('db'))
    expect(row('web')).toBe(row('worker'))
    expect(row('web')).toBeGreaterThan(row('api'))
    expect(edges).toHaveLength(5)
    for (const { from, to } of edges) expect(boxes.get(from)!.y).toBeGreaterThan(boxes.get(to)!.y)
  })

  it('wraps a wide layer into rows, keeps boxes apart and inside the drawing, and every arrow from the top of its service to the bottom of its dependency', () => {
    const { boxes, edges, width, height } = layoutGraph(wideLayer)
    expect(boxes.size).toBe(56)
    expect(new Set([...boxes.values()].map((b) => b.y)).size).toBe(1 + Math.ceil(55 / MAX_PER_ROW))
    const all = [...boxes.values()]
    for (const a of all) {
      expect(a.x).toBeGreaterThanOrEqual(0)
      expect(a.y).toBeGreaterThanOrEqual(0)
      expect(a.x + BOX.width).toBeLessThanOrEqual(width)
      expect(a.y + BOX.height).toBeLessThanOrEqual(height)
      for (const b of all) if (a !== b) expect(Math.abs(a.x - b.x) >= BOX.width || Math.abs(a.y - b.y) >= BOX.height).toBe(true)
    }
    for (const { from, to, points } of edges) {
      expect(points[0]!.y).toBe(boxes.get(from)!.y)
      expect(points.at(-1)!.y).toBe(boxes.get(to)!.y + BOX.height)
    }
  })

  it('routes no arrow through a box it does not connect, even one that skips layers (gateway → checker past scheduler)', () => {
    const nodeManager = [
      { name: 'chain-sim', dependsOn: [] },
      { name: 'checker', dependsOn: ['chain-sim'] },
      { name: 'scheduler', dependsOn: ['checker'] },
      { name: 'gateway', dependsOn: ['checker', 'scheduler'] },
    ]
    // The check itself: a straight line down a column of boxes crosses the middle one; one beside it does not.
    expect(segmentEntersBox({ x: 75, y: 200 }, { x: 75, y: 0 }, { x: 0, y: 100 })).toBe(true)
    expect(segmentEntersBox({ x: BOX.width + 5, y: 200 }, { x: BOX.width + 5, y: 0 }, { x: 0, y: 100 })).toBe(false)
    const wide = [...graph, { name: 'admin', dependsOn: ['web', 'db', 'cache'] }, { name: 'mailer', dependsOn: ['worker', 'db'] }]
    for (const services of [nodeManager, wide, wideLayer]) {
      const { boxes, edges } = layoutGraph(services)
      for (const { from, to, points } of edges) {
        for (const [name, box] of boxes) {
          if (name === from || name === to) continue
          const crossed = points.slice(1).some((p, i) => segmentEntersBox(points[i]!, p, box))
          expect([`${from}→${to}`, name, crossed]).toEqual([`${from}→${to}`, name, false])
        }
      }
    }
  })

  it("labels an arrow with its condition unless it is 'ready'", () => {
    const { edges } = layoutGraph([
      { name: 'db', dependsOn: [] },
      { name: 'migrate', dependsOn: ['db'], conditions: { db: 'ready' } },
      { name: 'api', dependsOn: ['db', 'migrate'], conditions: { db: 'started', migrate: 'completed' } },
    ])
    const labels = Object.fromEntries(edges.map((e) => [`${e.from}→${e.to}`, e.label]))
    expect(labels).toEqual({ 'migrate→db': null, 'api→db': 'started', 'api→migrate': 'completed' })
    for (const e of edges) expect(e.labelAt === null).toBe(e.label === null)
  })

  it('finds transitive dependents and dependencies (what an action will also close or start)', () => {
    expect(dependentsOf(graph, 'db').sort()).toEqual(['api', 'web', 'worker'])
    expect(dependenciesOf(graph, 'web').sort()).toEqual(['api', 'cache', 'db'])
    expect(dependentsOf(graph, 'web')).toEqual([])
  })
})

// Liang–Barsky clipping: does the segment a→b pass through the inside of the box (its edges excluded)?
function segmentEntersBox(a: { x: number; y: number }, b: { x: number; y: number }, box: { x: number; y: number }): boolean {
  const [left, top, right, bottom] = [box.x + 0.5, box.y + 0.5, box.x + BOX.width - 0.5, box.y + BOX.height - 0.5]
  const dx = b.x - a.x
  const dy = b.y - a.y
  let t0 = 0
  let t1 = 1
  for (const [p, q] of [[-dx, a.x - left], [dx, right - a.x], [-dy, a.y - top], [dy, bottom - a.y]] as const) {
    if (p === 0) {
      if (q < 0) return false
    } else {
      const t = q / p
      if (p < 0) t0 = Math.max(t0, t)
      else t1 = Math.min(t1, t)
    }
  }
  return t0 < t1
}

describe('states and figures', () => {
  const crash = { code: null, signal: 'SIGKILL', reason: 'crashed' as const, at: Date.UTC(2026, 0, 1, 12, 3, 4) }

  it('keeps a crashed service red while the supervisor restarts it', () => {
    const restarting: Pick<ServiceView, 'display' | 'lastExit'> = { display: 'restarting', lastExit: crash }
    expect(crashedLastTime(restarting)).toBe(true)
    expect(toneOf(restarting)).toBe('crashed')
    expect(stateLabel(restarting)).toBe('crashed · restarting')
    expect(toneOf({ display: 'restarting', lastExit: null })).toBe('busy')
    expect(toneOf({ display: 'crashed', lastExit: crash })).toBe('crashed')
    expect(toneOf({ display: 'starting', lastExit: crash })).toBe('busy')
    expect(toneOf({ display: 'stopped', lastExit: null })).toBe('stopped')
    expect(toneOf({ display: 'failed', lastExit: crash })).toBe('failed')
  })

  it('reads durations and exits the way `svc ps` does', () => {
    expect(duration(850)).toBe('850ms')
    expect(duration(125_000)).toBe('2m05s')
    expect(lastExitText(null)).toBe('-')
    expect(lastExitText(crash)).toMatch(/^crashed · SIGKILL · \d\d:\d\d:\d\d$/)
    expect(lastExitText({ ...crash, signal: null, code: 3 })).toMatch(/^crashed · code 3 · /)
  })
})

describe('what the header and the table say', () => {
  it('counts in the header the display states the table shows, so "closed" is never called "stopped"', () => {
    const display = (d: ServiceView['display']) => ({ display: d })
    expect(summaryText([display('running'), display('closed'), display('stopped'), display('closed')])).toBe('4 services · 1 running · 1 stopped · 2 closed')
    expect(summaryText([display('completed')])).toBe('1 service · 1 completed')
  })

  it('says what a starting service waits for, the conditions that are not the default, and what kind of box it is', () => {
    expect(stateText({ display: 'starting', lastExit: null, waitingFor: 'tcp 127.0.0.1:6390' })).toBe('starting · waiting for tcp 127.0.0.1:6390')
    expect(stateText({ display: 'running', lastExit: null, waitingFor: null })).toBe('running')
    expect(dependsOnText({ dependsOn: ['redis', 'migrate', 'web'], conditions: { redis: 'ready', migrate: 'completed', web: 'started' } })).toBe('redis, migrate (completed), web (started)')
    expect(dependsOnText({ dependsOn: [], conditions: {} })).toBe('-')
    expect([kindTag({ kind: 'node', oneshot: false }), kindTag({ kind: 'command', oneshot: false }), kindTag({ kind: 'command', oneshot: true })]).toEqual(['', 'cmd', 'once'])
  })
})

describe('instances', () => {
  const instance = (state: 'running' | 'starting' | 'draining' | 'closed', inFlight = 0) => ({ state, inFlight })
  it('counts only a service that has several, or was asked for other than one: "×3" when all run, "2/3 ready" otherwise', () => {
    const one = { instances: [instance('running')], desiredInstances: 1 }
    expect([showsInstances(one), instanceBadge(one)]).toEqual([false, ''])
    const three = { instances: [instance('running', 2), instance('running', 1), instance('running')], desiredInstances: 3 }
    expect([showsInstances(three), instanceBadge(three), instanceCount(three), inFlightOf(three)]).toEqual([true, '×3', '3/3', 3])
    const short = { instances: [instance('running'), instance('closed'), instance('starting')], desiredInstances: 3 }
    expect([instanceBadge(short), instanceCount(short)]).toEqual(['1/3 ready', '1/3'])
    // Scaled down to one while the surplus drains: still shown, until only one is left.
    const draining = { instances: [instance('running'), instance('draining', 1)], desiredInstances: 1 }
    expect([showsInstances(draining), instanceBadge(draining)]).toEqual([true, '×1'])
    expect([instanceStateText(instance('running', 2)), instanceStateText(instance('draining'))]).toEqual(['running · 2 in flight', 'draining'])
  })
})

describe('the error of the last exit', () => {
  it("says where a service's error was thrown: its first own stack frame, not the framework's", () => {
    const stack = [
      'Error: boom in factory',
      '    at async Function.import (/app/node_modules/jiti/dist/jiti.cjs:1:187718)',
      '    at Object.factory (/app/services/db.ts:3:9)',
      '    at async #start (/app/node_modules/@services-cluster/core/dist/remote/runner.bundle.cjs:1088:22)',
    ].join('\n')
    expect(exitErrorText({ name: 'Error', message: 'boom in factory', stack })).toBe('Error: boom in factory (/app/services/db.ts:3:9)')
    expect(exitErrorText({ name: 'Error', message: 'boom', stack: 'Error: boom\n    at file:///app/a.mjs:2:7' })).toBe('Error: boom (/app/a.mjs:2:7)')
    expect(exitErrorText({ name: 'ServiceError', message: 'no stack', code: 'SVC_ERR_START_TIMEOUT' })).toBe('ServiceError: no stack')
  })
})

describe('log text', () => {
  it('spells every control character but TAB, so a line cannot rewrite what the page or a terminal shows', () => {
    expect(escapeControl('\r\x1b[2Kapi | all good')).toBe('\\r\\x1b[2Kapi | all good')
    expect(escapeControl('\x1b]0;title\x07 \u009b2K \u0000 \x7f \n')).toBe('\\x1b]0;title\\x07 \\u009b2K \\x00 \\x7f \\n')
    for (let code = 0; code <= 0xa0; code++) {
      const c = String.fromCharCode(code)
      const printable = code === 0x09 || (code >= 0x20 && code < 0x7f) || code === 0xa0
      expect([code, escapeControl(c) === c]).toEqual([code, printable])
    }
    const plain = 'tab\tand ünïcødé, € and 🙂'
    expect(escapeControl(plain)).toBe(plain)
  })
})
