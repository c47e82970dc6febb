// One host of a graph across hosts, for the tests: a ServicesManager in a process of its own
// (packages/core/test/fixtures/cluster/host.mjs) with its own SVC_HOST and state folder, driven over its stdin and
// read from its stdout, one JSON line each (the fixture's header lists them).

import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const HOST = fileURLToPath(new URL('../packages/core/test/fixtures/cluster/host.mjs', import.meta.url))

/** A line the host wrote: a state or instance change, a notice, an answer, a followed log line… */
export interface HostLine {
  state?: { service: string; from: string; to: string; at: number; reason: string }
  instance?: { instance: string; to: string; at: number; reason: string }
  followed?: { service: string; line: string }
  ready?: true
  failed?: string
  closed?: true
  notice?: string
  id?: number
  ok?: boolean
  value?: unknown
  error?: { code: string; message: string }
}

export interface HostOptions {
  /** How long a silent host stays in the membership (default 1000 ms, short for the tests). */
  ttlMs?: number
  /** Runs the host's command elsewhere (in a network namespace: test-support/netns.ts). */
  wrap?: (argv: string[]) => string[]
}

export class ClusterHost {
  readonly lines: HostLine[] = []
  readonly child: ChildProcess
  #waiters = new Set<() => void>()
  #id = 0

  constructor(
    readonly name: string,
    manifest: object,
    stateDir: string,
    options: HostOptions = {},
  ) {
    const argv = [process.execPath, HOST, JSON.stringify(manifest), stateDir, String(options.ttlMs ?? 1000)]
    const [command, ...args] = options.wrap?.(argv) ?? argv
    this.child = spawn(command!, args, { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, SVC_HOST: name } })
    createInterface({ input: this.child.stdout! }).on('line', (text) => {
      this.lines.push(JSON.parse(text) as HostLine)
      for (const wake of this.#waiters) wake()
    })
    this.child.on('exit', () => {
      for (const wake of this.#waiters) wake()
    })
  }

  /** Resolves with the first line (from `from` on) that matches; rejects if the host exits first or after `ms`. */
  until(match: (line: HostLine) => boolean, from = 0, ms = 20_000): Promise<HostLine> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const line = this.lines.slice(from).find(match)
        if (line) return done(() => resolve(line))
        if (this.child.exitCode !== null || this.child.signalCode !== null) done(() => reject(new Error(`host ${this.name} exited`)))
      }
      const timer = setTimeout(() => done(() => reject(new Error(`host ${this.name}: nothing matched within ${ms} ms; last lines ${JSON.stringify(this.lines.slice(-8))}`))), ms)
      const done = (settle: () => void) => {
        clearTimeout(timer)
        this.#waiters.delete(check)
        settle()
      }
      this.#waiters.add(check)
      check()
    })
  }

  /** The moment `service` reached `to` here (the first time at or after line `from`). */
  async reached(service: string, to: string, from = 0): Promise<number> {
    const line = await this.until((l) => l.state?.service === service && l.state.to === to, from)
    return line.state!.at
  }

  /** The moment instance `id` (`api#0`) of this host reached `to` (its process: what other hosts see). */
  async instanceReached(id: string, to: string, from = 0): Promise<number> {
    const line = await this.until((l) => l.instance?.instance === id && l.instance.to === to, from)
    return line.instance!.at
  }

  async ask(command: object, ms?: number): Promise<unknown> {
    const id = ++this.#id
    this.child.stdin!.write(`${JSON.stringify({ id, ...command })}\n`)
    const line = await this.until((l) => l.id === id, 0, ms)
    if (!line.ok) throw Object.assign(new Error(line.error!.message), { code: line.error!.code })
    return line.value
  }

  call(service: string, method: string, ...args: unknown[]): Promise<unknown> {
    return this.ask({ call: [service, method, ...args] })
  }

  /** Ends the host (SIGTERM: it closes its part) and resolves once its process has exited. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM')
    await this.exited()
  }

  exited(): Promise<void> {
    const child = this.child
    return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()))
  }
}
