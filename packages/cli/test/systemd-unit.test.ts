// The unit text of `svc export systemd`, without a process: systemd's quoting, User=, and the graph's timeouts.

import { describe, expect, it } from '@jest/globals'
import { normalizeManifest } from '@services-cluster/core'
import { graphTimeouts, systemdUnit, type UnitFacts } from '../src/export/systemd-unit.js'
import { environment, execLine, execWord, literal } from '../src/export/unit-syntax.js'

const FACTS: UnitFacts = {
  name: 'shop.service',
  user: false,
  node: '/usr/bin/node',
  bin: '/srv/shop/node_modules/@services-cluster/cli/dist/bin.js',
  manifest: '/srv/shop/svc.config.ts',
  cwd: '/srv/shop',
  runAs: 'alice',
  path: '/usr/bin:/bin',
  startTimeoutSec: 75,
  stopTimeoutSec: 31,
  watchdogSec: 30,
}

describe('unit syntax', () => {
  it('leaves plain words alone and quotes the rest, with specifiers and variables escaped', () => {
    expect(execWord('/usr/bin/node')).toBe('/usr/bin/node')
    expect(execWord('/srv/my shop/svc.config.ts')).toBe('"/srv/my shop/svc.config.ts"')
    expect(execWord('/srv/100%/a$HOME')).toBe('/srv/100%%/a$$HOME')
    expect(execWord('say "hi" \\ there')).toBe('"say \\"hi\\" \\\\ there"')
    expect(execWord('')).toBe('""')
    expect(execLine(['/usr/bin/node', 'a b', 'up'])).toBe('/usr/bin/node "a b" up')
    expect(environment('PATH', '/opt/my tools/bin:/bin')).toBe('"PATH=/opt/my tools/bin:/bin"')
    expect(literal('50% off')).toBe('50%% off')
  })

  it('refuses a line break, which would end the setting', () => {
    expect(() => literal('a\nExecStartPre=/bin/evil')).toThrow('cannot hold a line break')
  })
})

describe('systemdUnit', () => {
  it('writes a system unit that runs as the user who exported it, after the network is up', () => {
    const unit = systemdUnit(FACTS)
    expect(unit).toContain('\nUser=alice\n')
    expect(unit).toContain('\nAfter=network-online.target\n')
    expect(unit).toContain('\nWantedBy=multi-user.target\n')
  })

  it('writes a user unit without User= or the network target, wanted by default.target', () => {
    const unit = systemdUnit({ ...FACTS, user: true })
    expect(unit).not.toContain('User=')
    expect(unit).not.toContain('network-online')
    expect(unit).toContain('\nWantedBy=default.target\n')
  })
})

describe('graphTimeouts', () => {
  it('gives the graph the sum of its services\' start timeouts, and of their stop and kill timeouts, plus 15 s', () => {
    const resolved = normalizeManifest(
      {
        services: {
          db: { command: ['sleep', '100'], startTimeoutMs: 20_000, stopTimeoutMs: 10_000, killTimeoutMs: 2_000 },
          api: { command: ['sleep', '100'], dependsOn: ['db'] },
        },
      },
      '/srv/shop',
    )
    // api has the defaults: 30 s to start, 5 s to stop, 3 s more to be killed.
    expect(graphTimeouts(resolved)).toEqual({ startSec: 20 + 30 + 15, stopSec: 12 + 8 + 15 })
  })
})
