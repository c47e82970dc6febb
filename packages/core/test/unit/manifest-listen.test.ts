// `listen` in the manifest: a port (host 0.0.0.0) or { port, host } with an IP address; every bad value is a coded
// manifest problem naming the service and the field.

import { describe, expect, test } from '@jest/globals'
import { normalize, problemsOf } from './manifest-problems.js'

describe('listen field', () => {
  test('a number is the port on 0.0.0.0; the object form takes an IPv4 or IPv6 host; absent is null', () => {
    const [a, b, c, d] = normalize({
      a: { entry: './a.ts', listen: 8080 },
      b: { command: ['node', 'b.js'], listen: { port: 0, host: '::1' } },
      c: { entry: './c.ts', listen: { port: 9000, host: '127.0.0.1' } },
      d: { entry: './d.ts' },
    }).services
    expect(a!.listen).toEqual({ port: 8080, host: '0.0.0.0' })
    expect(b!.listen).toEqual({ port: 0, host: '::1' })
    expect(c!.listen).toEqual({ port: 9000, host: '127.0.0.1' })
    expect(d!.listen).toBeNull()
  })

  test('bad ports, host names, unknown keys and a missing port are each reported, naming the service and field', () => {
    const problems = problemsOf({
      a: { entry: './a.ts', listen: 70000 },
      b: { entry: './b.ts', listen: { port: 1.5 } },
      c: { entry: './c.ts', listen: { port: 80, host: 'localhost' } },
      d: { entry: './d.ts', listen: { prot: 80 } },
      e: { entry: './e.ts', listen: '8080' },
      f: { entry: './f.ts', lisen: 8080 },
    })
    expect(problems.map((p) => p.path)).toEqual([
      'services.a.listen',
      'services.b.listen.port',
      'services.c.listen.host',
      'services.d.listen.prot',
      'services.d.listen.port',
      'services.e.listen',
      'services.f.lisen',
    ])
    expect(problems[0]!.message).toBe('Service "a": listen must be a whole port from 0 to 65535 (0: any free port), not 70000.')
    expect(problems[2]!.message).toContain('must be an IP address such as "0.0.0.0", "127.0.0.1" or "::" (not a host name), not "localhost"')
    expect(problems[4]!.message).toContain('is missing')
    expect(problems[5]!.message).toContain('must be a port such as 8080, or { port: 8080, host: "127.0.0.1" }, not "8080"')
    expect(problems[6]!.message).toContain('(did you mean "listen"?)')
  })

  test('a one-shot cannot listen: it does not keep serving', () => {
    const problems = problemsOf({ m: { command: 'true', oneshot: true, listen: 8080 } })
    expect(problems.map((p) => p.message)).toEqual(['Service "m": listen does not apply to a one-shot: it is not meant to keep serving a port.'])
  })
})
