// `watch` in the manifest: true watches a Node service's entry directory, the object form names paths (relative to
// the manifest) and ignore patterns; every problem is reported, unknown keys refused.

import { describe, expect, test } from '@jest/globals'
import { ignoreTest } from '../../src/watch/ignore.js'
import { watchedServices } from '../../src/watch/watched-services.js'
import { normalize, problemsOf } from './manifest-problems.js'

describe('watch field', () => {
  test('true is the entry directory; paths resolve from the manifest; absent is not set; false is never', () => {
    const [a, b, c, d] = normalize({
      a: { entry: './services/a/index.ts', watch: true },
      b: { command: ['redis-server'], watch: { paths: ['./conf', '/etc/b.conf'], ignore: ['*.log'] } },
      c: { entry: './c.ts' },
      d: { entry: './d.ts', watch: false },
    }).services
    expect(a!.watch).toEqual({ paths: ['/project/services/a'], ignore: [] })
    expect(b!.watch).toEqual({ paths: ['/project/conf', '/etc/b.conf'], ignore: ['*.log'] })
    expect(c!.watch).toBeNull()
    expect(d!.watch).toBe(false)
  })

  test('svc up --watch watches the entry directory of every Node service without a watch of its own; false opts out', () => {
    const services = normalize({
      a: { entry: './services/a/index.ts' },
      b: { entry: './services/b/index.ts', watch: false },
      c: { command: 'make run' },
      d: { entry: './services/d/index.ts', watch: { paths: ['./lib'] } },
    }).services
    expect(watchedServices(services, true)).toEqual([
      { name: 'a', watch: { paths: ['/project/services/a'], ignore: [] } },
      { name: 'd', watch: { paths: ['/project/lib'], ignore: [] } },
    ])
    expect(watchedServices(services, false).map((s) => s.name)).toEqual(['d'])
  })

  test('every problem is reported: unknown keys, wrong types, a command without paths', () => {
    const problems = problemsOf({
      a: { entry: './a.ts', watch: { path: ['./src'] } },
      b: { entry: './b.ts', watch: 'yes' },
      c: { command: 'make run', watch: true },
      d: { entry: './d.ts', watch: { paths: [], ignore: 'tmp' } },
      e: { command: 'make run', watch: { ignore: ['tmp'] } },
    })
    expect(problems.map((p) => p.path)).toEqual([
      'services.a.watch.path',
      'services.b.watch',
      'services.c.watch',
      'services.d.watch.paths',
      'services.d.watch.ignore',
      'services.e.watch.paths',
    ])
    expect(problems[0]!.message).toContain('did you mean "paths"?')
    expect(problems[2]!.message).toContain('a command service has no entry')
  })
})

describe('watch ignores', () => {
  const ignored = ignoreTest(['*.log', 'tmp', 'data/**'], '/project', '/project/.state')
  const root = '/project/services/a'

  test.each([
    ['/project/services/a/node_modules/x/index.js'],
    ['/project/services/a/.git/HEAD'],
    ['/project/services/a/.svc/private/run.json'],
    ['/project/.state/control.sock'],
    ['/project/services/a/out.log'],
    ['/project/services/a/tmp/x.js'],
  ])('%s is ignored', (path) => expect(ignored(path, root)).toBe(true))

  test('anchored patterns match from the manifest, not from the watched root', () => {
    expect(ignored('/project/data/db/x.json', '/project')).toBe(true)
    expect(ignored('/project/services/data/x.json', '/project')).toBe(false)
  })

  test('a segment pattern looks below the watched root only: a project under /tmp is not ignored by "tmp"', () => {
    const inTmp = ignoreTest(['tmp'], '/tmp/project', '/tmp/project/.svc')
    expect(inTmp('/tmp/project/services/a/index.ts', '/tmp/project/services/a')).toBe(false)
  })
})
