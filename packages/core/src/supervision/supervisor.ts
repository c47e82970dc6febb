// What happens after a crash (seed 003): close every transitive dependent (dependents first), restart the
// crashed service per its policy, then start the dependents again in dependency order.

import { debuglog } from 'node:util'
import type { Instance } from '../node/instance.js'
import type { ServiceNode } from '../node/service-node.js'
import { sleep } from '../sleep.js'
import { decideRestart, MOVE, retriedStartFailure, type RestartDecision } from './restart-policy.js'

const trace = debuglog('svc:supervisor')

export interface SupervisorHost {
  isClosing(): boolean
  node(name: string): ServiceNode
  transitiveDependents(name: string): string[]
  /** Everything `name` depends on, directly or not. */
  transitiveDependencies(name: string): string[]
  now(): number
  random(): number
  onRestartScheduled(node: ServiceNode, attempt: number, delayMs: number, instance?: Instance): void
  onGaveUp(node: ServiceNode, why: string): void
  onStayClosed(node: ServiceNode, why: string): void
  /** An instance that crashed while others serve is not restarted (its policy says so): the others carry on. */
  onInstanceLeftDown(node: ServiceNode, instance: Instance, why: string): void
  /** Boots a process for the node's next start, ahead of it (while its current one closes, if need be). */
  prewarm(node: ServiceNode): void
  /** The node will not start again soon: drop the process prewarm() booted for it. */
  release(node: ServiceNode): void
}

interface Recovery {
  abort: AbortController
  /** Dependents to bring back once the crashed service runs again. */
  cascade: Set<ServiceNode>
}

export class Supervisor {
  readonly #recoveries = new Map<string, Recovery>()
  readonly #restartTimes = new Map<string, number[]>()
  /** Crashes being handled, from the crash to the last dependent started again (or left closed). */
  #busy = 0
  #idleWaiters: (() => void)[] = []

  constructor(private readonly host: SupervisorHost) {}

  /** Stops any pending restart of `name` (it was stopped on purpose, or the manager is closing). */
  cancel(name?: string): void {
    for (const [n, r] of this.#recoveries) if (name === undefined || n === name) r.abort.abort()
  }

  /** Forgets a service's restarts (it failed, and is started afresh by hand): the next crash counts from zero. */
  forget(name: string): void {
    this.#restartTimes.delete(name)
  }

  /**
   * A start that failed in a way another attempt may not (not ready in time, exited while starting — see
   * retriedStartFailure): the delay before the next attempt when the service's policy restarts it, counted against
   * maxRestarts like a crash; null when it does not, and then the service is `failed` if it gave up.
   */
  startRetry(node: ServiceNode): number | null {
    const decision = this.#decide(node, { code: 1, signal: null })
    if (decision.action !== 'restart') {
      this.#report(node, decision)
      return null
    }
    this.#counted(node)
    this.host.onRestartScheduled(node, decision.attempt, decision.delayMs)
    return decision.delayMs
  }

  /**
   * An instance crashed while others of its service serve (or its restart failed): the delay before restarting it
   * alone, counted against the service's maxRestarts like any crash; null when the policy says no more — the
   * instance stays down, and the service runs on with the others (it fails only when its last instance is lost).
   */
  instanceRetry(node: ServiceNode, instance: Instance, exit: { code: number | null; signal: string | null }): number | null {
    if (this.host.isClosing() || node.stopped) return null
    if (instance.lastExit?.reason === 'moved') return MOVE.delayMs
    const decision = this.#decide(node, exit)
    if (decision.action !== 'restart') {
      this.host.onInstanceLeftDown(node, instance, decision.why)
      return null
    }
    this.#counted(node)
    this.host.onRestartScheduled(node, decision.attempt, decision.delayMs, instance)
    return decision.delayMs
  }

  /** Resolves once no crash is being handled (at once if none is). */
  whenIdle(): Promise<void> {
    return this.#busy === 0 ? Promise.resolve() : new Promise((resolve) => this.#idleWaiters.push(resolve))
  }

  async onCrash(node: ServiceNode, exit: { code: number | null; signal: string | null }): Promise<void> {
    this.#busy++
    try {
      await this.#recover(node, exit)
    } finally {
      if (--this.#busy === 0) for (const resolve of this.#idleWaiters.splice(0)) resolve()
    }
  }

  async #recover(node: ServiceNode, exit: { code: number | null; signal: string | null }): Promise<void> {
    if (this.host.isClosing() || node.stopped) return
    // A dependency is already being recovered: it will bring this one back with its cascade.
    for (const dep of this.host.transitiveDependencies(node.name)) {
      const recovery = this.#recoveries.get(dep)
      if (recovery) {
        recovery.cascade.add(node)
        return
      }
    }
    const recovery: Recovery = { abort: new AbortController(), cascade: new Set() }
    this.#recoveries.set(node.name, recovery)
    try {
      // Decide first, so what people see (restarting / crashed / failed) is right from the first moment.
      let decision = node.lastExit?.reason === 'moved' ? MOVE : this.#decide(node, exit)
      node.restarting = decision.action === 'restart'
      const dependents = this.host.transitiveDependents(node.name).map((n) => this.host.node(n))
      for (const d of dependents) if (d.state !== 'closed' && !d.stopped) recovery.cascade.add(d)
      trace('%s crashed; closing dependents %o', node.name, [...recovery.cascade].map((d) => d.name))
      // The replacements boot while the dependents close and the crashed service restarts: each is booted by the
      // time its dependencies run, instead of only starting to boot once its old process has exited.
      if (decision.action === 'restart') for (const n of [node, ...recovery.cascade]) this.host.prewarm(n)
      await Promise.all(dependents.map((d) => d.close(`dependency "${node.name}" crashed`)))
      for (;;) {
        if (decision.action !== 'restart') {
          node.restarting = false
          for (const d of recovery.cascade) this.host.release(d)
          this.#report(node, decision)
          return
        }
        const outcome = await this.#restartOnce(node, decision, recovery.abort.signal)
        if (outcome === 'running') break
        // Cancelled, or a start the node itself retried by this same policy until it ran or was reported.
        if (outcome === 'cancelled' || outcome === 'settled') {
          node.restarting = false
          for (const d of recovery.cascade) this.host.release(d)
          return
        }
        decision = this.#decide(node, { code: 1, signal: null }) // a failed restart counts as another crash
        node.restarting = decision.action === 'restart'
      }
    } finally {
      this.#recoveries.delete(node.name)
    }
    // start() waits for each service's own dependencies, so starting them all at once keeps dependency order.
    await Promise.all(
      [...recovery.cascade]
        .filter((d) => !d.stopped && !this.host.isClosing())
        .map((d) =>
          d.start(`dependency "${node.name}" restarted`).catch((error: { code?: string }) => {
            if (error.code !== 'SVC_ERR_START_ABORTED') void this.onCrash(d, { code: 1, signal: null })
          }),
        ),
    )
  }

  /** One more restart of `node`, in its window and its count. */
  #counted(node: ServiceNode): void {
    const times = this.#restartTimes.get(node.name) ?? []
    this.#restartTimes.set(node.name, times)
    const now = this.host.now()
    times.push(now)
    while (times.length > 0 && now - times[0]! >= node.service.restart.windowMs) times.shift()
    node.restarts++
  }

  #decide(node: ServiceNode, exit: { code: number | null; signal: string | null }): RestartDecision {
    const times = this.#restartTimes.get(node.name) ?? []
    this.#restartTimes.set(node.name, times)
    return decideRestart(node.service.restart, exit, times, this.host.now(), () => this.host.random())
  }

  #report(node: ServiceNode, decision: Exclude<RestartDecision, { action: 'restart' }>): void {
    if (decision.action === 'give-up') {
      node.failed = true
      this.host.onGaveUp(node, decision.why)
    } else {
      this.host.onStayClosed(node, decision.why)
    }
  }

  /** Waits out the backoff and starts the service once. */
  async #restartOnce(
    node: ServiceNode,
    decision: Extract<RestartDecision, { action: 'restart' }>,
    signal: AbortSignal,
  ): Promise<'running' | 'failed' | 'cancelled' | 'settled'> {
    if (decision !== MOVE) this.host.onRestartScheduled(node, decision.attempt, decision.delayMs)
    const waited = await delay(decision.delayMs, signal)
    if (!waited || node.stopped || this.host.isClosing()) return 'cancelled'
    node.restarting = false
    if (decision !== MOVE) this.#counted(node)
    try {
      await node.start('restart')
      return 'running'
    } catch (error) {
      if ((error as { code?: string }).code === 'SVC_ERR_START_ABORTED') return 'cancelled'
      if (retriedStartFailure(error)) return 'settled'
      trace('%s restart failed: %o', node.name, error)
      return 'failed'
    }
  }
}

/** True once `ms` passed, false when cancelled first (its timer cleared). */
function delay(ms: number, signal: AbortSignal): Promise<boolean> {
  return sleep(ms, signal).then(
    () => true,
    () => false,
  )
}
