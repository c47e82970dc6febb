// `svc export systemd` run as users run it: the unit on stdout (or in --output), its fields, how to install it, and
// the unit checked by systemd's own parser (`systemd-analyze verify`) where this machine has it.

import { afterAll, describe, expect, it } from '@jest/globals'
import { spawnSync } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BIN, HELLO, makeProject, removeProject, svc } from './helpers/svc.js'

const dirs: string[] = []
afterAll(async () => {
  for (const dir of dirs) await removeProject(dir)
})

function project(): string {
  const dir = makeProject()
  dirs.push(dir)
  return dir
}

function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'svc-unit-'))
  dirs.push(dir)
  return dir
}

/** The value of each `Key=` line (a key given twice keeps both, in order). */
function fields(unit: string): Map<string, string[]> {
  const map = new Map<string, string[]>()
  for (const line of unit.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line)
    if (m) map.set(m[1]!, [...(map.get(m[1]!) ?? []), m[2]!])
  }
  return map
}

const hasAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0

// systemd's parser on the file: any warning (an unknown key, a command that is not executable) fails the check.
function verify(file: string, user: boolean): { status: number | null; output: string } {
  const runtime = scratch() // a user manager needs a runtime directory, which a CI machine has no session for
  const args = user ? ['--user', 'verify', file] : ['verify', file]
  const r = spawnSync('systemd-analyze', args, { encoding: 'utf8', env: { ...process.env, XDG_RUNTIME_DIR: runtime } })
  return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() }
}

describe('svc export systemd', () => {
  it('prints a Type=notify unit for `svc up -c <manifest>` to stdout, and how to install it to stderr', async () => {
    const dir = project()
    const r = await svc(dir, ['export', 'systemd', '--name', 'shop'])
    expect(r.code).toBe(0)
    const f = fields(r.stdout)
    expect(f.get('Type')).toEqual(['notify'])
    expect(f.get('NotifyAccess')).toEqual(['main'])
    expect(f.get('ExecStart')).toEqual([`${process.execPath} ${BIN} up -c ${join(dir, 'svc.config.ts')}`])
    expect(f.get('WorkingDirectory')).toEqual([dir])
    // SIGTERM to `svc up` only, which closes the services in reverse order; time for every stop and kill timeout.
    expect(f.get('KillMode')).toEqual(['mixed'])
    expect(f.get('ExecStop')).toBeUndefined()
    expect(f.get('TimeoutStopSec')).toEqual([String(2 * (5 + 3) + 15)])
    expect(f.get('TimeoutStartSec')).toEqual([String(2 * 30 + 15)])
    expect(f.get('WatchdogSec')).toEqual(['30'])
    expect(f.get('Restart')).toEqual(['on-failure'])
    expect(f.get('RestartPreventExitStatus')).toEqual(['2'])
    expect(f.get('WantedBy')).toEqual(['multi-user.target'])
    expect(f.get('Environment')![0]).toMatch(/^"PATH=[^"]*\/usr\/bin[^"]*"$/)
    expect(r.stderr).toContain('systemctl daemon-reload && systemctl enable --now shop.service')
    expect(r.stderr).toContain('/etc/systemd/system/shop.service')
  })

  it('writes a user unit to --output, named after the file, and says to enable lingering', async () => {
    const dir = project()
    const file = join(scratch(), 'user', 'shop.service')
    const r = await svc(dir, ['export', 'systemd', '--user', '--output', file])
    expect(r.code).toBe(0)
    expect(r.stdout).toBe('')
    const f = fields(readFileSync(file, 'utf8'))
    expect(f.get('WantedBy')).toEqual(['default.target'])
    expect(f.get('SyslogIdentifier')).toEqual(['shop'])
    expect(f.get('User')).toBeUndefined()
    expect(r.stderr).toContain('systemctl --user daemon-reload && systemctl --user enable --now shop.service')
    expect(r.stderr).toContain('loginctl enable-linger')
  })

  it('refuses a unit name systemd would not accept', async () => {
    const r = await svc(project(), ['export', 'systemd', '--name', 'shop@1'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('"shop@1" is not a unit name systemd accepts.')
  })

  const verifyIt = hasAnalyze ? it : it.skip
  verifyIt(`passes systemd-analyze verify, as a system and as a user unit, from a directory with a space and a %${hasAnalyze ? '' : ' (skipped: systemd-analyze is not installed on this machine)'}`, async () => {
    // A project whose path needs quoting and escaping in ExecStart and WorkingDirectory.
    const dir = join(project(), 'my shop 100%')
    mkdirSync(dir)
    cpSync(join(HELLO, 'svc.config.ts'), join(dir, 'svc.config.ts'))
    cpSync(join(HELLO, 'services'), join(dir, 'services'), { recursive: true })
    const units = scratch()
    for (const user of [false, true]) {
      const file = join(units, user ? 'shop-user.service' : 'shop.service')
      const r = await svc(dir, ['export', 'systemd', '-o', file, ...(user ? ['--user'] : [])])
      expect(r.code).toBe(0)
      expect(readFileSync(file, 'utf8')).toContain(`WorkingDirectory=${dir.replace('%', '%%')}\n`)
      expect(verify(file, user)).toEqual({ status: 0, output: '' })
    }
    // Named after the directory, with systemd's characters only.
    expect((await svc(dir, ['export', 'systemd'])).stderr).toContain('enable --now svc-my-shop-100-.service')
    // The check does catch a broken unit.
    const broken = join(units, 'broken.service')
    writeFileSync(broken, readFileSync(join(units, 'shop.service'), 'utf8').replace('KillMode=mixed', 'KillMode=mixed\nKilMode=process'))
    expect(verify(broken, false).output).toContain("Unknown key 'KilMode'")
  })
})
