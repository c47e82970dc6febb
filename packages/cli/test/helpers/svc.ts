// Runs the real compiled `svc` binary in a throw-away project under packages/cli/test/.tmp-*
// (inside the repository, so services resolve @services-cluster/core through its node_modules).

import { spawn, type ChildProcess } from 'node:child_process'
import { isAlive as alive } from '../../src/control/lock.js'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
export const BIN = join(here, '../../dist/bin.js')
export const HELLO = join(here, '../../../../examples/hello')

export interface Result {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** Plain environment: no colour, no TTY, nothing inherited that changes output. */
export function plainEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...extra }
  delete env.FORCE_COLOR
  delete env.NODE_OPTIONS // jest's --experimental-vm-modules is not for the binary
  return env
}

/** Runs `svc args…` to completion. */
export function svc(cwd: string, args: string[], options: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<Result> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env: plainEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] })
  return collect(child, options.timeoutMs ?? 30_000, `svc ${args.join(' ')}`)
}

/** Starts `svc args…` (or any command line) and leaves it running; read its output as it comes. */
export class Running {
  stdout = ''
  stderr = ''
  readonly exited: Promise<Result>

  constructor(readonly child: ChildProcess, label: string) {
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (this.stdout += d))
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.stderr += d))
    this.exited = collect(child, 60_000, label, this)
  }

  /** Resolves once `predicate(this)` holds, checked on every output chunk; rejects if the process ends first. */
  until(predicate: (r: Running) => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!predicate(this)) return false
        stop()
        resolve()
        return true
      }
      const onEnd = () => {
        if (!check()) {
          stop()
          reject(new Error(`process ended before: ${what}\nstdout: ${this.stdout}\nstderr: ${this.stderr}`))
        }
      }
      const timer = setTimeout(() => {
        stop()
        reject(new Error(`timed out waiting for: ${what}\nstdout: ${this.stdout}\nstderr: ${this.stderr}`))
      }, timeoutMs)
      const stop = () => {
        clearTimeout(timer)
        this.child.stdout!.off('data', check)
        this.child.stderr!.off('data', check)
        this.child.off('close', onEnd)
      }
      if (check()) return
      // Listeners added after the collectors, so the text is already appended when they run.
      this.child.stdout!.on('data', check)
      this.child.stderr!.on('data', check)
      this.child.on('close', onEnd)
    })
  }
}

export function startSvc(cwd: string, args: string[], env: Record<string, string> = {}): Running {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env: plainEnv(env), stdio: ['ignore', 'pipe', 'pipe'] })
  return new Running(child, `svc ${args.join(' ')}`)
}

export function startShell(cwd: string, script: string): Running {
  const child = spawn('/bin/sh', ['-c', script], { cwd, env: plainEnv(), stdio: ['ignore', 'pipe', 'pipe'] })
  return new Running(child, script)
}

function collect(child: ChildProcess, timeoutMs: number, label: string, running?: Running): Promise<Result> {
  let stdout = ''
  let stderr = ''
  if (!running) {
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d))
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${label} did not finish within ${timeoutMs} ms`))
    }, timeoutMs)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout: running ? running.stdout : stdout, stderr: running ? running.stderr : stderr })
    })
  })
}

/** A temp project in the repository: a copy of examples/hello plus `files` (path → content). */
export function makeProject(files: Record<string, string> = {}, options: { hello?: boolean } = {}): string {
  const root = join(here, '..')
  const dir = mkdtempSync(join(root, '.tmp-'))
  if (options.hello !== false) {
    cpSync(join(HELLO, 'svc.config.ts'), join(dir, 'svc.config.ts'))
    cpSync(join(HELLO, 'services'), join(dir, 'services'), { recursive: true })
  }
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true })
    writeFileSync(join(dir, path), content)
  }
  return dir
}

/** Stops whatever manager the project still has (svc down, else signal its pid), then removes the directory. */
export async function removeProject(dir: string): Promise<void> {
  const lock = join(dir, '.svc/private/manager.pid')
  if (existsSync(join(dir, '.svc/private/control.sock'))) await svc(dir, ['down'], { timeoutMs: 20_000 }).catch(() => undefined)
  if (existsSync(lock)) {
    const pid = Number.parseInt(readFileSync(lock, 'utf8'), 10)
    if (pid > 0 && alive(pid)) {
      process.kill(pid, 'SIGTERM')
      await waitUntil(() => !alive(pid), 10_000)
    }
  }
  rmSync(dir, { recursive: true, force: true })
}

export { isAlive as alive } from '../../src/control/lock.js'

/** Polls a cheap condition that has no event (a foreign process ending). */
export async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 20))
  }
}
