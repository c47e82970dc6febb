// What the manager does to single instances of its services: finds them by id (`api#1`), checks their health, and
// replaces one that is sick or above its memory limit by a reload of it alone, so that no call is lost and nothing
// else moves. A failing check of a service's probe (its port, its URL) is the service's, not one instance's.

import type { EventEmitter } from 'eventemitter3'
import { svcError } from '../errors.js'
import type { ResolvedService } from '../manifest/normalize.js'
import type { Instance } from '../node/instance.js'
import type { ServiceNode } from '../node/service-node.js'
import type { ManagerEvents } from './events.js'
import type { HealthHost, HealthMonitor } from './health-monitor.js'
import type { Router } from './router.js'

export interface InstanceCareHost {
  /** The node, or SVC_ERR_UNKNOWN_SERVICE. */
  node(name: string): ServiceNode
  find(name: string): ServiceNode | undefined
  health(): HealthMonitor
  router: Router
  events: EventEmitter<ManagerEvents>
  closing(): boolean
}

/** Its health check is a method: checked on each instance (through balancing, one bad instance among good ones would
 * never fail twice running). */
export const checkedPerInstance = (service: ResolvedService) => service.health !== null && 'method' in service.health.check

export class InstanceCare {
  constructor(private readonly host: InstanceCareHost) {}

  /** `api`: every live instance of api; `api#1`: that one (SVC_ERR_UNKNOWN_SERVICE if it has no such instance). */
  resolve(target: string): Instance[] {
    const at = target.lastIndexOf('#')
    if (at === -1) return this.host.node(target).instances.filter((i) => i.live)
    const node = this.host.node(target.slice(0, at))
    const instance = node.instance(Number(target.slice(at + 1)))
    if (!instance || !/^\d+$/.test(target.slice(at + 1))) {
      throw svcError('SVC_ERR_UNKNOWN_SERVICE', `Service "${node.name}" has no instance ${target}. Its instances: ${node.instances.map((i) => i.id).join(', ') || 'none'}.`, {
        service: node.name,
      })
    }
    return [instance]
  }

  /** What the health monitor calls and tells: a service, or one instance of it. */
  readonly healthHost: HealthHost = {
    call: (target, method, timeoutMs) => {
      if (!target.includes('#')) return this.host.router.call(target, method, [], timeoutMs)
      const [instance] = this.resolve(target)
      const via = instance?.state === 'running' ? instance.controller : null
      if (!via) return Promise.reject(new Error(`${target} is not running`))
      return this.host.router.call(instance!.service, method, [], timeoutMs, via)
    },
    unhealthy: (target, why) => (target.includes('#') ? this.#unhealthyInstance(target, why) : this.#unhealthyService(target, why)),
  }

  /** The service started or stopped running: its checks start or stop (per instance, or on the service). */
  serviceRunning(node: ServiceNode, on: boolean): void {
    const health = this.host.health()
    const targets = checkedPerInstance(node.service) ? node.instances.filter((i) => !on || i.state === 'running').map((i) => i.id) : [node.name]
    for (const target of targets) on ? health.watch(node.service, target) : health.unwatch(target)
  }

  /** One instance changed state: its own check follows it. */
  instanceChanged(node: ServiceNode, instance: Instance, from: string, to: string): void {
    if (!checkedPerInstance(node.service)) return
    const health = this.host.health()
    if (node.state === 'running' && to === 'running') health.watch(node.service, instance.id)
    if (from !== 'running') return
    health.unwatch(instance.id)
    // A reload's replacement has the same id and ran first: its watch starts now.
    const replacement = node.instances.find((i) => i !== instance && i.id === instance.id && i.state === 'running')
    if (replacement && node.state === 'running') health.watch(node.service, instance.id)
  }

  /** limits.memoryMb of the service `api#1` belongs to. */
  memoryLimitMb(id: string): number | null {
    return this.host.find(id.slice(0, id.lastIndexOf('#')))?.service.limits.memoryMb ?? null
  }

  /** An instance above its service's limits.memoryMb: replaced by a reload of it alone. */
  async overLimit(id: string, rss: number, limitMb: number): Promise<void> {
    const found = this.#running(id)
    if (!found || this.host.closing()) return
    const { node } = found
    this.host.events.emit('overLimit', { service: node.name, instance: id, rss, limitMb, at: Date.now() })
    this.#notice(node, `${id} uses ${Math.round(rss / 2 ** 20)} MiB, above limits.memoryMb (${limitMb}): replacing it`)
    await this.#replace(found, `above limits.memoryMb (${limitMb} MiB)`)
  }

  // A method check failed on one instance: with others running, it is replaced alone; the only one running is killed,
  // a crash, as a service with one instance always was.
  #unhealthyInstance(id: string, why: string): void {
    const found = this.#running(id)
    if (!found) return
    const { node, instance } = found
    if (node.instances.some((i) => i !== instance && i.state === 'running')) {
      this.#notice(node, `${id} unhealthy: ${why}; replacing it`)
      void this.#replace(found, 'unhealthy')
      return
    }
    this.#notice(node, `unhealthy: ${why}; restarting it`)
    instance.pendingExitReason = 'unhealthy'
    instance.container.kill('SIGKILL')
  }

  // A probe failed: with several instances each is replaced in turn by a reload, rather than all killed at once.
  #unhealthyService(name: string, why: string): void {
    const node = this.host.find(name)
    if (!node || node.state !== 'running') return
    if (node.instances.length > 1) {
      this.#notice(node, `unhealthy: ${why}; reloading it (each instance replaced in turn)`)
      void node.reload('unhealthy').then(
        () => this.host.health().watch(node.service),
        (error: Error) => this.#notice(node, `the reload after a failed health check failed: ${error.message}`),
      )
      return
    }
    this.#notice(node, `unhealthy: ${why}; restarting it`)
    for (const instance of node.instances) if (instance.state === 'running') instance.pendingExitReason = 'unhealthy'
    node.kill('SIGKILL')
  }

  #running(id: string): { node: ServiceNode; instance: Instance } | null {
    const node = this.host.find(id.slice(0, id.lastIndexOf('#')))
    const instance = node?.instance(Number(id.slice(id.lastIndexOf('#') + 1)))
    return node && instance && node.state === 'running' && instance.state === 'running' ? { node, instance } : null
  }

  #replace({ node, instance }: { node: ServiceNode; instance: Instance }, reason: string): Promise<void> {
    return node.reload(reason, instance).catch((error: Error) => this.#notice(node, `${instance.id} could not be replaced: ${error.message}`))
  }

  #notice(node: ServiceNode, message: string): void {
    this.host.events.emit('notice', { service: node.name, message, at: Date.now() })
  }
}
