import { describe, expect, test } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { ServicesManager, type ManagerEvents, type ManagerOptions } from '../../src/index.js'
import { FaultInjection } from '../../src/manager/fault-injection.js'
import { memoryContainers } from '../../src/testing/index.js'

// docs/api.md is written by hand; these checks keep it from falling behind the code: a method, getter, public field,
// event, option or fault added to the code without a line in the doc fails here.
const doc = readFileSync(new URL('../../../../docs/api.md', import.meta.url), 'utf8')

// The name each `### ` heading documents: its first code span, up to a parenthesis ("`kill(service, …)`" → kill).
const headings = new Set(
  [...doc.matchAll(/^###\s+`(?:new\s+)?([A-Za-z_$][\w$]*)/gm)].map((m) => m[1]!),
)
// Names in the first cell of a table row (events, options).
const rows = new Set([...doc.matchAll(/^\|\s*`([A-Za-z_$][\w$]*)`\s*\|/gm)].map((m) => m[1]!))
// Names in a list item ("- `pause(name)`: …"): the fault injections.
const items = new Set([...doc.matchAll(/^-\s+`([A-Za-z_$][\w$]*)/gm)].map((m) => m[1]!))

// Every key of ManagerEvents: the compiler fails this list when an event is added or removed.
const EVENTS = {
  state: true,
  spawned: true,
  log: true,
  exit: true,
  crash: true,
  restart: true,
  failed: true,
  exception: true,
  usage: true,
  fatal: true,
  malformed: true,
  notice: true,
  eventsDropped: true,
  denied: true,
  filesChanged: true,
  metrics: true,
  instance: true,
  instanceCrash: true,
  overLimit: true,
  clusterDown: true,
} as const satisfies Record<keyof ManagerEvents, true>

const OPTIONS = {
  cwd: true,
  containers: true,
  callTimeoutMs: true,
  prewarm: true,
  spawner: true,
  resolveEntry: true,
  random: true,
  usageIntervalMs: true,
  maxQueuedBytes: true,
  partialFrameTimeoutMs: true,
  watch: true,
  watchDebounceMs: true,
  metrics: true,
  host: true,
  clusterTtlMs: true,
} as const satisfies Record<keyof ManagerOptions, true>

const methods = Object.getOwnPropertyNames(ServicesManager.prototype).filter((name) => name !== 'constructor')

// Public instance fields (manifest, faults…); eventemitter3's own start with an underscore.
function publicFields(): string[] {
  const manager = new ServicesManager(
    { services: { a: { entry: 'mem:a' } } },
    { containers: memoryContainers({}), resolveEntry: (_n, entry) => entry },
  )
  return Object.keys(manager).filter((name) => !name.startsWith('_'))
}

describe('docs/api.md', () => {
  test('has a heading for every public method and getter of ServicesManager', () => {
    expect(methods.length).toBeGreaterThan(10) // the prototype was read, not an empty object
    expect(methods.filter((name) => !headings.has(name))).toEqual([])
  })

  test('has a heading for every public field of ServicesManager', () => {
    expect(publicFields().sort()).toEqual(['faults', 'manifest'])
    expect(publicFields().filter((name) => !headings.has(name))).toEqual([])
  })

  test('documents nothing ServicesManager does not have', () => {
    const known = new Set([...methods, ...publicFields(), 'ServicesManager'])
    expect([...headings].filter((name) => !known.has(name))).toEqual([])
  })

  test('has a row for every event of ManagerEvents, and none more', () => {
    const events = Object.keys(EVENTS)
    expect(events.filter((name) => !rows.has(name))).toEqual([])
    const eventRows = doc.slice(doc.indexOf('## Events'), doc.indexOf('## Testing'))
    const documented = [...eventRows.matchAll(/^\|\s*`([A-Za-z_$][\w$]*)`\s*\|/gm)].map((m) => m[1]!)
    expect(documented.sort()).toEqual(events.sort())
  })

  test('has a row for every option of ManagerOptions', () => {
    expect(Object.keys(OPTIONS).filter((name) => !rows.has(name))).toEqual([])
  })

  test('lists every fault of manager.faults', () => {
    const faults = Object.getOwnPropertyNames(FaultInjection.prototype).filter((name) => name !== 'constructor')
    expect(faults.length).toBeGreaterThan(0)
    expect(faults.filter((name) => !items.has(name))).toEqual([])
  })
})
