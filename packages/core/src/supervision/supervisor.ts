// What happens after a crash (seed 003): close every transitive dependent (dependents first), restart the
// crashed service per its policy, then start the dependents again in dependency order.

import { debuglog } from 'node:util'
import type { ServiceNode } from '../node/service-node.js'
import { decideRestart } from './restart-policy.js'

const trace = debuglog('svc:supervisor')

export interface SupervisorHost {
  isClosing(): boolean
  node(name: string): ServiceNode
  transitiveDependents(name: string): string[]
  dependencies(name: string): string[]
  now(): number
  random(): number
  onRestartScheduled(node: ServiceNode, attempt: number, delayMs: number): void
  onGaveUp(node: ServiceNode, why: string): void
  onStayClosed(node: ServiceNode, why: string): void
}

interface Recovery {
  abort: AbortController
  /** Dependents to bring back once the crashed service runs again. */
  cascade: Set<ServiceNode>
}

export class Supervisor {
  readonly #recoveries = new Map<string, Recovery>()
  readonly #restartTimes = new Map<string, number[]>()

  constructor(private readonly host: SupervisorHost) {}

  /** Stops any pending restart of `name` (it was stopped on purpose, or the manager is closing). */
  cancel(name?: string): void {
    for (const [n, r] of this.#recoveries) if (name === undefined || n === name) r.abort.abort()
  }

  isRecovering(name: string): boolean {
    return this.#recoveries.has(name)
  }

  async onCrash(node: ServiceNode, exit: { code: number | null; signal: string | null }): Promise<void> {
    if (this.host.isClosing() || node.stopped) return
    // A dependency is already being recovered: it will bring this one back with its cascade.
    for (const dep of this.#ancestors(node.name)) {
      const recovery = this.#recoveries.get(dep)
      if (recovery) {
        recovery.cascade.add(node)
        return
      }
    }
    const recovery: Recovery = { abort: new AbortController(), cascade: new Set() }
    this.#recoveries.set(node.name, recovery)
    try {
      const dependents = this.host.transitiveDependents(node.name).map((n) => this.host.node(n))
      for (const d of dependents) if (d.state !== 'closed' && !d.stopped) recovery.cascade.add(d)
      trace('%s crashed; closing dependents %o', node.name, [...recovery.cascade].map((d) => d.name))
      await Promise.all(dependents.map((d) => d.close(`dependency "${node.name}" crashed`)))
      if (!(await this.#restart(node, exit, recovery.abort.signal))) return
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

  /** Restarts `node` with backoff until it runs (true) or the policy says stop (false). */
  async #restart(node: ServiceNode, exit: { code: number | null; signal: string | null }, signal: AbortSignal): Promise<boolean> {
    const times = this.#restartTimes.get(node.name) ?? []
    this.#restartTimes.set(node.name, times)
    for (;;) {
      if (signal.aborted || node.stopped || this.host.isClosing()) return false
      const now = this.host.now()
      const decision = decideRestart(node.service.restart, exit, times, now, () => this.host.random())
      if (decision.action === 'stay-closed') {
        this.host.onStayClosed(node, decision.why)
        return false
      }
      if (decision.action === 'give-up') {
        node.failed = true
        this.host.onGaveUp(node, decision.why)
        return false
      }
      node.restarting = true
      this.host.onRestartScheduled(node, decision.attempt, decision.delayMs)
      const waited = await delay(decision.delayMs, signal)
      node.restarting = false
      if (!waited || node.stopped || this.host.isClosing()) return false
      times.push(this.host.now())
      while (times.length > 0 && now - times[0]! >= node.service.restart.windowMs) times.shift()
      node.restarts++
      try {
        await node.start('restart')
        return true
      } catch (error) {
        if ((error as { code?: string }).code === 'SVC_ERR_START_ABORTED') return false
        trace('%s restart failed: %o', node.name, error)
        exit = { code: 1, signal: null }
      }
    }
  }

  #ancestors(name: string): Set<string> {
    const seen = new Set<string>()
    const stack = [...this.host.dependencies(name)]
    while (stack.length) {
      const n = stack.pop()!
      if (seen.has(n)) continue
      seen.add(n)
      stack.push(...this.host.dependencies(n))
    }
    return seen
  }
}

function delay(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false)
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve(true)
    }, ms)
    const onAbort = () => {
      clearTimeout(timer)
      resolve(false)
    }
    signal.addEventListener('abort', onAbort, { once: true })
  })
}
