// One service cannot print a line that passes for another's: `svc up` (colours on) and `svc logs` spell the
// control characters of service output (CR, ESC and CSI sequences, OSC, BEL, C1), and keep their own colours.

import { afterAll, describe, expect, it } from '@jest/globals'
import { spawn } from 'node:child_process'
import { BIN, makeProject, plainEnv, removeProject, Running, svc } from './helpers/svc.js'

// Carriage return + "erase line", an OSC title ended by BEL, an 8-bit CSI erase, a NUL: then a fake `api |` line.
const FORGERY = '\r\x1b[2K\x1b]0;pwned\x07\u009b2K\u0000api  | all good'
const SPELLED = '\\r\\x1b[2K\\x1b]0;pwned\\x07\\u009b2K\\x00api  | all good'

const FILES = {
  'svc.config.ts': `import { defineServices } from '@services-cluster/core'
export default defineServices({
  services: {
    api: { entry: './services/api.ts' },
    evil: { entry: './services/evil.ts' },
  },
})
`,
  'services/api.ts': `import { defineService } from '@services-cluster/core/remote'
export default defineService(async (ctx) => {
  ctx.log.info('api up')
  return {}
})
`,
  'services/evil.ts': `import { defineService } from '@services-cluster/core/remote'
export default defineService(async () => {
  console.log(${JSON.stringify(FORGERY)})
  console.log('evil\\tdone')
  return {}
})
`,
}

// What may remain once our own SGR colour codes are removed: text, TAB and newline, nothing a terminal acts on.
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/
const withoutColours = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, '')

describe('service output on the terminal', () => {
  const dirs: string[] = []
  afterAll(async () => {
    for (const dir of dirs) await removeProject(dir)
  })

  it("a service cannot erase another service's log line with \\r and ANSI codes", async () => {
    const dir = makeProject(FILES, { hello: false })
    dirs.push(dir)
    const env: NodeJS.ProcessEnv = { ...plainEnv(), FORCE_COLOR: '1' }
    delete env.NO_COLOR
    const up = new Running(spawn(process.execPath, [BIN, 'up'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] }), 'svc up')
    try {
      await up.until((r) => r.stdout.includes('done') && / running; control socket /.test(r.stderr), 'every service running and evil done')

      // `svc up`: the forgery is spelled after evil's coloured prefix; only colour codes are left raw.
      const evilLine = up.stdout.split('\n').find((l) => l.includes('all good'))!
      expect(evilLine).toMatch(/^\x1b\[\d+mevil \|\x1b\[\d+m /)
      expect(withoutColours(evilLine)).toBe(`evil | ${SPELLED}`)
      expect(withoutColours(up.stdout).split('\n').filter((l) => CONTROL.test(l))).toEqual([])
      expect(withoutColours(up.stdout)).toContain('evil | evil\tdone') // TAB is text

      // `svc logs`: the same spelling.
      const logs = await svc(dir, ['logs', 'evil'])
      expect(logs.stdout.split('\n')).toContain(`evil | ${SPELLED}`)
      expect(logs.stdout.replace(/\n/g, '')).not.toMatch(CONTROL)

      // --json: the exact text for programs, with nothing raw a terminal would act on.
      const json = await svc(dir, ['logs', 'evil', '--json'])
      expect(json.stdout.replace(/\n/g, '')).not.toMatch(CONTROL)
      expect(json.stdout.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { line: string }).line)).toContain(FORGERY)
    } finally {
      up.child.kill('SIGINT')
      await up.exited
    }
  })
})
