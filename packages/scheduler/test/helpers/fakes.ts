// In-memory twins for the scheduler's boundaries: the call function, the module runner, the cluster gate.

import type { CallFunction, CallOptions } from '../../src/executor.js'
import type { ClaimContext, ClaimRefused, RunClaim, RunGate } from '../../src/gate.js'
import type { ModuleRunner } from '../../src/module-runner.js'

export interface Deferred<T> {
  promise: Promise<T>
  resolve(value: T): void
  reject(error: unknown): void
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void
  let reject!: (error: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

export interface RecordedCall {
  service: string
  method: string
  args: unknown[]
  options: CallOptions
}

// Each call is recorded; `respond` decides the outcome (default: resolves 'ok').
export function fakeCall(respond: (call: RecordedCall) => Promise<unknown> = async () => 'ok') {
  const calls: RecordedCall[] = []
  const call: CallFunction = (service, method, args, options) => {
    const recorded = { service, method, args, options }
    calls.push(recorded)
    return respond(recorded)
  }
  return { call, calls }
}

// A module "runs" until the test settles it, or until its signal aborts (like the real runner does).
export class FakeModules implements ModuleRunner {
  readonly runs: { modulePath: string; input: unknown; signal: AbortSignal; done: Deferred<unknown> }[] = []
  closed = false

  run(modulePath: string, input: unknown, signal: AbortSignal): Promise<unknown> {
    const done = deferred<unknown>()
    signal.addEventListener('abort', () => done.reject(signal.reason), { once: true })
    this.runs.push({ modulePath, input, signal, done })
    return done.promise
  }

  async close(): Promise<void> {
    this.closed = true
  }
}

// Grants the slots `grant` says yes to (a string is a refusal with that reason) and records every question;
// `confirms` answers confirm() (default: true) and records the claims it was asked about.
export class FakeGate implements RunGate {
  readonly asked: { task: string; slot: number }[] = []
  readonly scheduledAt: number[] = []
  readonly confirmed: RunClaim[] = []
  constructor(
    private readonly grant: (task: string, slot: number) => boolean | string | Error,
    private readonly confirms: (claim: RunClaim) => boolean | Error = () => true,
  ) {}

  async claim(task: string, slot: number, context: ClaimContext): Promise<RunClaim | ClaimRefused | null> {
    this.asked.push({ task, slot })
    this.scheduledAt.push(context.scheduledAt)
    const answer = this.grant(task, slot)
    if (answer instanceof Error) throw answer
    if (typeof answer === 'string') return { refused: answer }
    return answer ? { token: 1000 + slot } : null
  }

  async confirm(claim: RunClaim): Promise<boolean> {
    this.confirmed.push(claim)
    const answer = this.confirms(claim)
    if (answer instanceof Error) throw answer
    return answer
  }
}
