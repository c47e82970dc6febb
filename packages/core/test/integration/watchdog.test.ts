import { afterEach, expect, test } from '@jest/globals'
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { startWatchdog } from '../../src/supervision/watchdog.js'
import { isAlive } from './harness.js'

// The watchdog on its own, with real process groups: what it kills at EOF, what it was told to forget, and
// whether it reports a clean close.
const groups: ChildProcess[] = []
afterEach(() => {
  for (const g of groups.splice(0)) if (g.exitCode === null && g.signalCode === null) g.kill('SIGKILL')
})

function group(): ChildProcess {
  const child = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' })
  groups.push(child)
  return child
}

async function run(lines: string[]): Promise<number | null> {
  const watchdog = startWatchdog((error) => {
    throw error
  })
  const exited = once(watchdog, 'exit')
  watchdog.stdin!.end(lines.map((l) => `${l}\n`).join(''))
  const [code] = await exited
  return code as number | null
}

test('at EOF it SIGKILLs every group it still knows, not the ones removed; no "." means an unclean end', async () => {
  const [a, b, c] = [group(), group(), group()]
  const killed = Promise.all([once(a, 'exit'), once(c, 'exit')])
  const code = await run([`+${a.pid}`, `+${b.pid}`, `+${c.pid}`, `-${b.pid}`])
  expect(code).toBe(1)
  await killed
  expect([a.signalCode, c.signalCode]).toEqual(['SIGKILL', 'SIGKILL'])
  // a and c died in the same loop as b would have, before the watchdog exited: b is alive, not a zombie.
  expect(isAlive(b.pid!)).toBe(true)
})

test('"." marks a clean close: exit status 0', async () => {
  expect(await run(['.'])).toBe(0)
})
