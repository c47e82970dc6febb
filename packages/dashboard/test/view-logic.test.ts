// The page's pure logic: where boxes go, which colour a state gets, how figures read.

import { describe, expect, it } from '@jest/globals'
import type { ServiceView } from '../src/protocol.js'
import { crashedLastTime, duration, escapeControl, exitErrorText, lastExitText, stateLabel, toneOf } from '../src/ui/format.js'
import { BOX, dependenciesOf, dependentsOf, layoutGraph } from '../src/ui/graph-layout.js'

const graph = [
  { name: 'web', dependsOn: ['api'] },
  { name: 'api', dependsOn: ['db', 'cache'] },
  { name: 'db', dependsOn: [] },
  { name: 'cache', dependsOn: [] },
  { name: 'worker', dependsOn: ['db', 'api'] },
]

describe('graph layout', () => {
  it('layers by the longest path to a service that depends on nothing; every arrow points up', () => {
    const { boxes, edges } = layoutGraph(graph)
    expect(Object.fromEntries([...boxes].map(([n, b]) => [n, b.layer]))).toEqual({ db: 0, cache: 0, api: 1, web: 2, worker: 2 })
    expect(edges).toHaveLength(5)
    for (const { from, to } of edges) expect(boxes.get(from)!.y).toBeGreaterThan(boxes.get(to)!.y)
  })

  it('wraps a wide layer into rows and keeps boxes from overlapping', () => {
    const wide = [{ name: 'root', dependsOn: [] }, ...Array.from({ length: 55 }, (_, i) => ({ name: `s${i}`, dependsOn: ['root'] }))]
    const { boxes, width, height } = layoutGraph(wide)
    expect(boxes.size).toBe(56)
    const spots = new Set([...boxes.values()].map((b) => `${b.x},${b.y}`))
    expect(spots.size).toBe(56)
    const rows = new Set([...boxes.values()].map((b) => b.y))
    expect(rows.size).toBe(1 + 6) // the root, then 55 dependents in rows of at most 10
    for (const b of boxes.values()) {
      expect(b.x + BOX.width).toBeLessThanOrEqual(width)
      expect(b.y + BOX.height).toBeLessThanOrEqual(height)
    }
  })

  it('finds transitive dependents and dependencies (what an action will also close or start)', () => {
    expect(dependentsOf(graph, 'db').sort()).toEqual(['api', 'web', 'worker'])
    expect(dependenciesOf(graph, 'web').sort()).toEqual(['api', 'cache', 'db'])
    expect(dependentsOf(graph, 'web')).toEqual([])
  })
})

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
