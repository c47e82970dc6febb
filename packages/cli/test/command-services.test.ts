// `svc` with command services and one-shots: ps shows them, logs holds their output, and `svc down` leaves no
// process of theirs behind — not even one that detached itself.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { readdirSync, readFileSync } from 'node:fs'
import { makeProject, removeProject, svc, waitUntil } from './helpers/svc.js'

const MANIFEST = `
import { defineServices } from '@services-cluster/core'
export default defineServices({
  services: {
    sleeper: { command: 'setsid sleep 1234 & echo spawned; exec sleep 1235' },
    setup: { command: ['sh', '-c', 'echo set up'], oneshot: true, dependsOn: ['sleeper'] },
    greeter: { entry: './services/greeter.ts', dependsOn: { setup: 'completed', sleeper: 'started' } },
  },
})
`

/** Host pids of processes whose command line names one of the test's sleeps. */
function sleeps(): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return /^sleep\x00123[45]\x00$/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'))
      } catch {
        return false
      }
    })
    .map(Number)
}

describe('svc with command services', () => {
  let dir: string

  beforeAll(async () => {
    dir = makeProject({ 'svc.config.ts': MANIFEST })
    const up = await svc(dir, ['up', '--detach', '--json'])
    expect(up.stderr).toBe('')
    expect(up.code).toBe(0)
  })

  afterAll(async () => {
    await removeProject(dir)
  })

  it('ps --json shows the command, the one-shot completed, and each edge condition', async () => {
    const ps = await svc(dir, ['ps', '--json'])
    const services = JSON.parse(ps.stdout) as { name: string; display: string; kind: string; command: string | null; conditions: Record<string, string> }[]
    expect(services.map((s) => [s.name, s.display, s.kind])).toEqual([
      ['sleeper', 'running', 'command'],
      ['setup', 'completed', 'command'],
      ['greeter', 'running', 'node'],
    ])
    expect(services[0]!.command).toBe('setsid sleep 1234 & echo spawned; exec sleep 1235')
    expect(services[2]!.conditions).toEqual({ setup: 'completed', sleeper: 'started' })
  })

  it("logs holds a command's output", async () => {
    const logs = await svc(dir, ['logs', 'setup'])
    expect(logs.stdout).toContain('set up')
  })

  it('down closes everything, and no process of a command outlives it', async () => {
    await waitUntil(() => sleeps().length === 2, 5000)
    const down = await svc(dir, ['down'])
    expect(down.code).toBe(0)
    await waitUntil(() => sleeps().length === 0, 5000)
  })
})
