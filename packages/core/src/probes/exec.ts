// An exec probe's attempt: the program exits 0 within timeoutMs; it is killed, with anything it started, otherwise.

import { probeFailed } from './failure.js'
import type { PolledProbe } from './types.js'

export interface ExecContext {
  signal: AbortSignal
  cwd?: string
  /** Set over the manager's environment, as a service's `env` is. */
  env?: Record<string, string>
}

export async function runExec(probe: Extract<PolledProbe, { kind: 'exec' }>, { signal, cwd, env }: ExecContext): Promise<void> {
  // Loaded on first use: execa is ESM-only, and the CommonJS build of the host API must load where require(esm) does not.
  const { execa } = await import('execa')
  const [file, ...args] = probe.argv
  const subprocess = execa(file, args, {
    cwd,
    env,
    reject: false,
    stdin: 'ignore',
    all: true,
    timeout: probe.timeoutMs,
    cancelSignal: signal,
    // A probe has nothing to save on the way out: no grace before the kill.
    killSignal: 'SIGKILL',
    // Its own process group, killed whole once it exits: a grandchild (`sh -c 'x &'`) must neither outlive the probe
    // nor hold its output pipe, and with it the result, open.
    detached: true,
  })
  subprocess.once('exit', () => killGroup(subprocess.pid))
  const result = await subprocess
  signal.throwIfAborted()
  if (result.timedOut) throw probeFailed(probe, `did not exit within ${probe.timeoutMs} ms, so it was killed`, { timedOut: true })
  if (result.exitCode === 0) return
  const said = lastLine(result.all)
  const output = said ? `; its last line: ${said}` : ''
  if (result.exitCode !== undefined) throw probeFailed(probe, `exit code ${result.exitCode}${output}`, { exitCode: result.exitCode })
  if (result.signal) throw probeFailed(probe, `killed by ${result.signal}${output}`, { signal: result.signal })
  // It never ran (no such program, a cwd that does not exist): execa says which.
  throw probeFailed(probe, result.originalMessage || result.shortMessage || 'it could not be started', {}, result.cause)
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined || process.platform === 'win32') return
  try {
    process.kill(-pid, 'SIGKILL')
  } catch {
    // ESRCH: the probe left nothing behind.
  }
}

function lastLine(output: string | undefined): string {
  const lines = (output ?? '').trim().split('\n')
  return lines[lines.length - 1]!.trim().slice(0, 200)
}
