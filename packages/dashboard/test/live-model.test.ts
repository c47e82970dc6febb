// The server's model of the manager: an update received while the initial list was on its way wins over it,
// and the usage history does not repeat a sample the live feed also delivered.

import { describe, expect, it } from '@jest/globals'
import type { ServiceSnapshot } from '@services-cluster/core'
import { LiveModel } from '../src/server/live-model.js'

// Only the fields the model reads; the cast keeps this helper valid as the snapshot grows.
function snapshot(name: string, facts: Partial<ServiceSnapshot> = {}): ServiceSnapshot {
  return {
    name,
    state: 'running',
    display: 'running',
    pid: 100,
    dependsOn: [],
    restarts: 0,
    startedAt: 1,
    lastExit: null,
    usage: null,
    calls: { count: 0, errors: 0, totalMs: 0 },
    critical: false,
    parent: null,
    ...facts,
  } as ServiceSnapshot
}

describe('LiveModel', () => {
  it('keeps an update that arrived before the initial list, in the manifest order', () => {
    const model = new LiveModel(3)
    model.update({ snapshot: snapshot('b', { state: 'closed', display: 'crashed', pid: null }), reason: 'crashed (SIGKILL)' })
    model.seed([{ snapshot: snapshot('a'), reason: null }, { snapshot: snapshot('b'), reason: null }], {})
    expect(model.services().map((s) => [s.name, s.display, s.reason])).toEqual([
      ['a', 'running', null],
      ['b', 'crashed', 'crashed (SIGKILL)'],
    ])
  })

  it('keeps the last reason when an update has none (a restart being scheduled)', () => {
    const model = new LiveModel(3)
    model.seed([{ snapshot: snapshot('a'), reason: null }], {})
    model.update({ snapshot: snapshot('a', { state: 'closed', display: 'crashed' }), reason: 'crashed (exit code 1)' })
    model.update({ snapshot: snapshot('a', { state: 'closed', display: 'restarting' }), reason: null })
    expect(model.services()[0]).toMatchObject({ display: 'restarting', reason: 'crashed (exit code 1)' })
  })

  it('adds a service it did not know (a child service) at the end', () => {
    const model = new LiveModel(3)
    model.seed([{ snapshot: snapshot('parent'), reason: null }], {})
    model.update({ snapshot: snapshot('parent.child', { parent: 'parent', dependsOn: ['parent'] }), reason: 'spawned by its parent' })
    expect(model.names()).toEqual(['parent', 'parent.child'])
  })

  it('merges the history with live samples without repeats, and keeps only the newest', () => {
    const model = new LiveModel(3)
    model.usage('a', { at: 3, cpu: 3, rss: 3 })
    model.seed([{ snapshot: snapshot('a'), reason: null }], { a: [1, 2, 3].map((at) => ({ at, cpu: at, rss: at })) })
    expect(model.usage('a', { at: 3, cpu: 3, rss: 3 })).toBe(false)
    expect(model.usage('a', { at: 4, cpu: 4, rss: 4 })).toBe(true)
    expect(model.history().a!.map((s) => s.at)).toEqual([2, 3, 4])
    expect(model.services()[0]!.usage).toEqual({ at: 4, cpu: 4, rss: 4 })
  })
})
