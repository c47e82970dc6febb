// `svc up --ready-fd N`, the readiness signal for supervisors other than systemd: "READY=1\n" on descriptor N once
// every service runs, then end of file.

import { afterAll, describe, expect, it } from '@jest/globals'
import { spawn } from 'node:child_process'
import type { Readable } from 'node:stream'
import { BIN, makeProject, plainEnv, removeProject, Running, svc } from './helpers/svc.js'

const dirs: string[] = []
afterAll(async () => {
  for (const dir of dirs) await removeProject(dir)
})

function project(): string {
  const dir = makeProject()
  dirs.push(dir)
  return dir
}

describe('svc up --ready-fd', () => {
  it('writes READY=1 and closes the descriptor once every service runs', async () => {
    const dir = project()
    const child = spawn(process.execPath, [BIN, 'up', '--ready-fd', '3'], { cwd: dir, env: plainEnv(), stdio: ['ignore', 'pipe', 'pipe', 'pipe'] })
    const up = new Running(child, 'svc up --ready-fd 3')
    // Everything the supervisor reads, up to end of file.
    let said = ''
    const fd3 = child.stdio[3] as Readable
    await new Promise<void>((resolve, reject) => {
      fd3.setEncoding('utf8').on('data', (d: string) => (said += d))
      fd3.on('end', resolve)
      fd3.on('error', reject)
    })
    expect(said).toBe('READY=1\n')
    const ps = await svc(dir, ['ps', '--json'])
    expect((JSON.parse(ps.stdout) as { state: string }[]).map((s) => s.state)).toEqual(['running', 'running'])

    child.kill('SIGTERM')
    expect((await up.exited).code).toBe(0)
  })

  it('is a usage error when the descriptor is not open', async () => {
    const dir = project()
    const up = await svc(dir, ['up', '--ready-fd', '250'], { timeoutMs: 10_000 })
    expect(up.code).toBe(2)
    expect(up.stderr).toContain('--ready-fd 250: file descriptor 250 is not open in this process.')
  })

  it('is a usage error with --detach, which returns once everything runs', async () => {
    const dir = project()
    const up = await svc(dir, ['up', '--detach', '--ready-fd', '3'])
    expect(up.code).toBe(2)
    expect(up.stderr).toContain('--ready-fd is for `svc up` in the foreground')
  })
})
