import { afterEach, describe, expect, test } from '@jest/globals'
import { rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ServicesManager } from '../../src/index.js'
import { FIXTURES, fixtureManager, transitions } from './harness.js'

let manager: ServicesManager | undefined
afterEach(async () => {
  await manager?.close()
  manager = undefined
})

describe('real child processes', () => {
  test('a three-level chain starts in order, calls through, and closes in reverse', async () => {
    manager = fixtureManager({
      c: { entry: './echo.ts', dependsOn: ['a'], config: { next: 'a' } },
      a: { entry: './echo.ts', dependsOn: ['b'], config: { next: 'b' } },
      b: { entry: './echo.ts' },
    })
    await manager.start()
    const pids = manager.services().map((s) => s.pid)
    expect(new Set(pids).size).toBe(3)
    expect(pids.every((p) => typeof p === 'number' && p !== process.pid)).toBe(true)
    await expect(manager.call('c', 'chain', 'x')).resolves.toBe('c>a>b:x')
    await manager.close()
    const t = transitions(manager.timeline())
    expect(t.indexOf('b:running')).toBeLessThan(t.indexOf('a:starting'))
    expect(t.indexOf('a:running')).toBeLessThan(t.indexOf('c:starting'))
    expect(t.indexOf('c:closed')).toBeLessThan(t.indexOf('a:closing'))
    expect(t.indexOf('a:closed')).toBeLessThan(t.indexOf('b:closing'))
    expect(manager.logs('b').map((l) => l.line)).toContain('b up')
  })

  test('long strings (sent V8-serialised) pass through two relays and come back exactly', async () => {
    manager = fixtureManager({
      c: { entry: './echo.ts', dependsOn: ['a'], config: { next: 'a' } },
      a: { entry: './echo.ts', dependsOn: ['b'], config: { next: 'b' } },
      b: { entry: './echo.ts' },
    })
    await manager.start()
    const text = `"é€😀\\\n\u0000\ud800`.repeat(20_000) // every kind of character JSON escapes or encodes
    await expect(manager.call('c', 'chain', text)).resolves.toBe(`c>a>b:${text}`)
    await expect(manager.call('b', 'echo', { text, list: [text, 1, null] })).resolves.toEqual({ text, list: [text, 1, null] })
  })

  test('compiled JavaScript entries are imported natively, TypeScript through jiti', async () => {
    manager = fixtureManager({ js: { entry: './plain.mjs' }, ts: { entry: './loader-kind.ts' } })
    await manager.start()
    await expect(manager.call('js', 'loader')).resolves.toBe('native')
    // import.meta.url is the file itself: the module was not rewritten or moved.
    await expect(manager.call('js', 'url')).resolves.toMatch(/\/test\/fixtures\/plain\.mjs$/)
    await expect(manager.call('ts', 'loader')).resolves.toBe('jiti')
  })

  test('a native ES module with top-level await is loaded too, and evaluated once', async () => {
    manager = fixtureManager({ tla: { entry: './top-level-await.mjs' } })
    await manager.start()
    await expect(manager.call('tla', 'ready')).resolves.toBe('awaited')
    await expect(manager.call('tla', 'evaluations')).resolves.toBe(1)
  })

  test('a native module that throws at import fails its start with the cause', async () => {
    manager = fixtureManager({ bad: { entry: './throws-at-import.mjs' } })
    await expect(manager.start()).rejects.toMatchObject({ code: 'SVC_ERR_START_FAILED', message: expect.stringContaining('boom at import (native)') })
  })

  test('a module that throws at import fails its start with the cause; the others are untouched', async () => {
    manager = fixtureManager({ bad: { entry: './throws-at-import.ts' }, good: { entry: './echo.ts' } })
    const error = (await manager.start().catch((e) => e)) as Error & { code: string }
    expect(error.code).toBe('SVC_ERR_START_FAILED')
    expect(error.message).toContain('boom at import')
    expect(manager.state('good')).toBe('running')
    await expect(manager.call('good', 'echo', 1)).resolves.toBe(1)
  })

  test.each([
    ['its module throws at import', './throws-at-import.ts', 'boom at import', /throws-at-import\.ts:3:\d+$/],
    ['its factory throws', './throws-in-factory.ts', 'boom in factory', /throws-in-factory\.ts:5:\d+$/],
  ])('a start that fails because %s carries the remote stack and the file:line, and logs the stack once', async (_, entry, message, place) => {
    manager = fixtureManager({ bad: { entry } })
    const error = (await manager.start().catch((e) => e)) as Error & { code: string; details: { location?: string; stack?: string }; cause: Error }
    expect(error.code).toBe('SVC_ERR_START_FAILED')
    expect(error.details.location).toMatch(place)
    expect(error.details.stack).toContain(message)
    expect(error.cause.stack).toMatch(new RegExp(place.source.replace(/\$$/, '')))
    const lines = manager.logs('bad').map((l) => l.line)
    expect(lines.filter((l) => l.includes(message))).toEqual([`[svc] start failed: ${message}`])
    expect(lines.filter((l) => place.test(l.replace(/\)$/, '')))).toHaveLength(1)
    expect(manager.service('bad').lastExit).toMatchObject({ reason: 'start-failed', error: { message, stack: expect.stringMatching(new RegExp(place.source.replace(/\$$/, ''))) } })
  })

  test('a module without a service export is refused with a hint', async () => {
    manager = fixtureManager({ junk: { entry: './not-a-service.ts' } })
    await expect(manager.start()).rejects.toThrow(/defineService/)
  })

  test('a process that exits during start fails fast, not at the timeout', async () => {
    manager = fixtureManager({ quitter: { entry: './exits-during-start.ts', startTimeoutMs: 20_000, restart: 'never' } })
    const t0 = Date.now()
    await expect(manager.start()).rejects.toMatchObject({ code: 'SVC_ERR_EXITED_DURING_START' })
    expect(Date.now() - t0).toBeLessThan(15_000)
  })

  test('a process that cannot be created fails its start at once and says why', async () => {
    const stateDir = join(tmpdir(), `svc-nocwd-${process.pid}`)
    const service = { entry: `${FIXTURES}plain.mjs`, startTimeoutMs: 20_000 }
    const t0 = Date.now()
    try {
      // A file as the working directory: spawn() itself throws.
      manager = new ServicesManager({ services: { lost: service }, stateDir }, { cwd: `${FIXTURES}plain.mjs` })
      await expect(manager.start()).rejects.toMatchObject({ code: 'SVC_ERR_SPAWN_FAILED', service: 'lost' })
      await manager.close()
      // A missing working directory: Node reports the failure asynchronously, with no process to wait for.
      manager = new ServicesManager({ services: { lost: service }, stateDir }, { cwd: '/nonexistent-svc-dir' })
      await expect(manager.start()).rejects.toMatchObject({ code: 'SVC_ERR_SPAWN_FAILED', service: 'lost' })
      expect(manager.logs('lost').map((l) => l.line).join('\n')).toContain('in /nonexistent-svc-dir')
      expect(Date.now() - t0).toBeLessThan(15_000)
    } finally {
      await manager?.close()
      rmSync(stateDir, { recursive: true, force: true })
    }
  })

  test('missing entry files are refused before anything is spawned', () => {
    expect(() => fixtureManager({ ghost: { entry: './does-not-exist.ts' } })).toThrow(
      expect.objectContaining({ code: 'SVC_ERR_ENTRY_NOT_FOUND', service: 'ghost' }),
    )
  })

  test('malformed messages on the channel are reported and ignored; the service keeps working', async () => {
    manager = fixtureManager({ noisy: { entry: './echo.ts' } })
    await manager.start()
    const malformed: unknown[] = []
    manager.on('malformed', (m) => malformed.push(m.value))
    await expect(manager.call('noisy', 'garbage')).resolves.toBe('sent')
    await expect(manager.call('noisy', 'echo', 'still here')).resolves.toBe('still here')
    expect(malformed).toEqual(['not a protocol message', { type: 'response', id: 'nope' }])
  })

  test('stdout and stderr are captured line by line, nothing lost at exit', async () => {
    manager = fixtureManager({ talker: { entry: './echo.ts', restart: 'never' } })
    await manager.start()
    await manager.call('talker', 'shout', 500)
    const closed = manager.waitFor('talker', 'closed')
    await manager.call('talker', 'exit', 0)
    await closed
    const lines = manager.logs('talker').map((l) => `${l.stream}:${l.line}`)
    expect(lines).toContain('stdout:line 0')
    expect(lines).toContain('stdout:line 499')
    expect(lines).toContain('stderr:to stderr')
  })
})
