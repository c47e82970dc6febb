// Calls to one target over this service's own NATS connection (cluster/service-nats.ts): spread over the instances
// its manager granted — each one's own subject, on another host — the fewest in flight first, ties in turn. NATS
// never says that the process a request went to died, so while calls are in flight the grants are asked again every
// REFRESH_MS: a call in flight to a run its manager no longer lists (the instance crashed, or its host was lost) fails
// then with SVC_ERR_SERVICE_CLOSED — as a relayed call whose target died does, and which `retry` retries — rather
// than at its timeout. A run whose subject nobody serves (NATS: "no responders") is dropped and the call relayed.

import type { NatsGrant } from '../protocol/messages.js'
import { closedError } from './closed-error.js'
import { fewestInFlight } from './fewest-in-flight.js'
import { outgoingTrace } from './tracing.js'

/** This service's own NATS connection, as the calls use it. */
export interface NatsRequests {
  /** The answer, or null when no process serves the subject (the call was not delivered). */
  request(subject: string, to: string, method: string, args: unknown[], timeoutMs: number, trace: string | undefined): Promise<{ value: unknown } | null>
}

/** Relays a call through the manager (remote/outgoing-calls.ts). */
export type Relay = (to: string, method: string, args: unknown[], timeoutMs: number) => Promise<unknown>

/** How often the grants are asked again: to find instances added since, and, with calls in flight, runs that ended. */
export const REFRESH_MS = 2000

/** One run of one instance of the target: its subject, and how to fail each call in flight to it. */
interface Run {
  subject: string
  run: string
  /** Each call in flight: how to fail it, and its method (for the error). */
  pending: Map<(error: Error) => void, string>
}

export class NatsChannel {
  #runs: Run[] = []
  #turn = 0
  #watch: NodeJS.Timeout | null = null

  constructor(
    private readonly to: string,
    private readonly nats: NatsRequests,
    private readonly relay: Relay,
    /** Asks the manager for the grants again; they come back through update(). */
    private readonly refresh: () => void,
  ) {}

  get size(): number {
    return this.#runs.length
  }

  /** The runs granted now: new ones are added; calls in flight to one no longer granted fail at once. */
  update(grants: NatsGrant[]): void {
    const granted = new Set(grants.map((grant) => grant.run))
    for (const run of [...this.#runs]) if (!granted.has(run.run)) this.#drop(run, `its instance ${run.run} ended`)
    const known = new Set(this.#runs.map((run) => run.run))
    for (const grant of grants) if (!known.has(grant.run)) this.#runs.push({ subject: grant.subject, run: grant.run, pending: new Map() })
  }

  /** Sends the call to the run with the fewest in flight; null when none is left (relay it). */
  call(method: string, args: unknown[], timeoutMs: number): Promise<unknown> | null {
    const run = fewestInFlight(this.#runs, this.#turn++, (r) => r.pending.size)
    return run && this.#send(run, method, args, timeoutMs)
  }

  /** The caller is closing: every call in flight fails. */
  close(why: string): void {
    for (const run of [...this.#runs]) this.#drop(run, why)
  }

  #send(run: Run, method: string, args: unknown[], timeoutMs: number): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const fail = (error: Error) => reject(error)
      run.pending.set(fail, method)
      this.#watchRuns()
      this.nats.request(run.subject, this.to, method, args, timeoutMs, outgoingTrace()).then(
        (answer) => {
          run.pending.delete(fail)
          if (answer) return resolve(answer.value)
          // Nobody serves that subject (the run ended, or has not begun to serve): forget it, relay this call.
          this.#forget(run)
          resolve(this.relay(this.to, method, args, timeoutMs))
        },
        (error: Error) => {
          run.pending.delete(fail)
          reject(error)
        },
      )
    })
  }

  /** While calls are in flight, asks for the grants every REFRESH_MS (and not at all when idle). */
  #watchRuns(): void {
    if (this.#watch) return
    this.#watch = setTimeout(() => {
      this.#watch = null
      this.refresh()
      if (this.#runs.some((run) => run.pending.size > 0)) this.#watchRuns()
    }, REFRESH_MS)
    this.#watch.unref()
  }

  #drop(run: Run, why: string): void {
    this.#forget(run)
    for (const [fail, method] of run.pending) fail(closedError(this.to, method, why))
    run.pending.clear()
  }

  #forget(run: Run): void {
    const at = this.#runs.indexOf(run)
    if (at !== -1) this.#runs.splice(at, 1)
    if (this.#runs.length === 0 && this.#watch) {
      clearTimeout(this.#watch)
      this.#watch = null
    }
  }
}
