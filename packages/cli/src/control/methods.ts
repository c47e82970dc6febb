// What each control method does, mapped onto ServicesManager. Params are checked here; the server does framing.

import type { LogLine, ServicesManager } from '@services-cluster/core'
import { constants } from 'node:os'
import { isAbsolute } from 'node:path'
import { importManifest } from '../manifest/load.js'
import { fileTail } from './log-file-tail.js'
import { graphInfo } from '../output/graph.js'
import { CONTROL_PROTOCOL_VERSION, RPC, TOPICS, type ControlMethods, type ManagerInfo, type MethodName, type ReloadedService, type Topic } from './protocol.js'

export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message)
  }
}

/** One connection's subscriptions: which notifications it gets. */
export interface Subscription {
  topics: Set<Topic>
  /** null: every service. */
  services: Set<string> | null
  /** Stops following the other hosts' lines (a cluster on NATS, `svc logs -f`): called when the connection ends. */
  elsewhere?: () => void
}

export interface MethodContext {
  manager: ServicesManager
  info: ManagerInfo
  subscription: Subscription
  /** Sends a log line to this connection (another host's, as it comes). */
  log(line: LogLine): void
  /** Closes every host's part (`host` undefined), or only this host's, which must be `host`. */
  down(host?: string): Promise<string[]>
}

type Handlers = {
  [M in MethodName]: (params: Record<string, unknown>, ctx: MethodContext) => Promise<ControlMethods[M]['result']> | ControlMethods[M]['result']
}

export const methods: Handlers = {
  hello(params, ctx) {
    if (params.protocol !== CONTROL_PROTOCOL_VERSION) {
      throw new RpcError(
        RPC.invalidRequest,
        `This manager speaks control protocol ${CONTROL_PROTOCOL_VERSION}, the client ${String(params.protocol)}. Use the svc binary of the same version.`,
      )
    }
    return ctx.info
  },
  ps: (_params, ctx) => ctx.manager.services(),
  cluster: (_params, ctx) => clusterPools(ctx.manager),
  async logs(params, ctx) {
    const services = optionalNames(params, 'services') ?? ctx.manager.manifest.graph.names
    for (const s of services) ctx.manager.state(s) // unknown names fail here, before anything is followed
    const limit = optionalCount(params, 'limit') ?? 100
    // In a cluster on NATS, the other hosts' lines too (named service@host); followed, each new one there is sent
    // after the answer, as this host's are (those that come before it are in it).
    let held: LogLine[] | null = []
    const elsewhere =
      params.follow === true
        ? await ctx.manager.followClusterLogs(services, limit, (line) => (held ? held.push(line) : ctx.log(line)))
        : { tail: await otherHosts(ctx.manager, services, limit), stop: () => undefined }
    try {
      // Lines reach the file in batches; from here to the subscription below runs in one tick, so none is missed.
      await ctx.manager.flushLogs()
      // The buffer holds the newest lines; a configured log file holds everything the buffer ever held and more.
      const perService = services.map((s) => {
        const buffered = ctx.manager.logs(s, limit)
        return buffered.length < limit ? (fileTail(ctx.manager, s, limit) ?? buffered) : buffered
      })
      const lines = mergeLogs([...perService, elsewhere.tail, held], limit)
      held = null
      // Same tick as the tail above, so a follower neither misses nor repeats a line.
      if (params.follow === true) {
        ctx.subscription.topics.add('log')
        ctx.subscription.services = params.services === undefined ? null : new Set(services)
        ctx.subscription.elsewhere?.()
        ctx.subscription.elsewhere = elsewhere.stop
      }
      return { lines }
    } catch (error) {
      elsewhere.stop()
      throw error
    }
  },
  subscribe(params, ctx) {
    const topics = params.topics
    if (!Array.isArray(topics) || topics.some((t) => !TOPICS.includes(t as Topic))) {
      throw new RpcError(RPC.invalidParams, `params.topics must be an array of ${TOPICS.map((t) => `"${t}"`).join(', ')}.`)
    }
    const services = optionalNames(params, 'services')
    for (const s of services ?? []) ctx.manager.state(s) // unknown names fail here
    for (const t of topics as Topic[]) ctx.subscription.topics.add(t)
    ctx.subscription.services = services ? new Set(services) : null
    return { topics: [...ctx.subscription.topics] }
  },
  async call(params, ctx) {
    const args = params.args ?? []
    if (!Array.isArray(args)) throw new RpcError(RPC.invalidParams, 'params.args must be an array.')
    return (await ctx.manager.call(name(params, 'service'), name(params, 'method'), ...args)) ?? null
  },
  async start(params, ctx) {
    await ctx.manager.start([name(params, 'service')])
    return ctx.manager.services()
  },
  async stop(params, ctx) {
    await ctx.manager.close([name(params, 'service')])
    return ctx.manager.services()
  },
  async restart(params, ctx) {
    const service = name(params, 'service')
    ctx.manager.state(service) // unknown names fail before anything closes
    await ctx.manager.restart(service)
    return ctx.manager.services()
  },
  async scale(params, ctx) {
    const service = name(params, 'service')
    const count = params.instances
    if (typeof count !== 'number') throw new RpcError(RPC.invalidParams, 'params.instances must be a number.')
    const began = performance.now()
    await ctx.manager.scale(service, count) // the manager refuses a count that is not a whole number ≥ 1 (SVC_ERR_BAD_INSTANCES)
    return { ms: Math.round(performance.now() - began), services: ctx.manager.services() }
  },
  // One service at a time, as manager.reload() does, so each one's time can be told.
  async reload(params, ctx) {
    const names = optionalNames(params, 'services')
    for (const s of names ?? []) ctx.manager.state(s) // unknown names fail before anything is replaced
    const { graph } = ctx.manager.manifest
    const order = names ? graph.startOrder(names) : graph.startOrder().filter((s) => ctx.manager.state(s) === 'running')
    const reloaded: ReloadedService[] = []
    for (const service of order) {
      const began = performance.now()
      await ctx.manager.reload(service)
      reloaded.push({ service, instances: ctx.manager.service(service).instances.filter((i) => i.state === 'running').length, ms: Math.round(performance.now() - began) })
    }
    return { reloaded, services: ctx.manager.services() }
  },
  async kill(params, ctx) {
    const signal = params.signal ?? 'SIGKILL'
    if (typeof signal !== 'string' || !Object.hasOwn(constants.signals, signal)) {
      throw new RpcError(RPC.invalidParams, `params.signal must be a signal name such as "SIGKILL" or "SIGTERM", not ${JSON.stringify(signal)}.`)
    }
    await ctx.manager.kill(name(params, 'target'), signal as NodeJS.Signals) // `api#1`: that instance alone
    return ctx.manager.services()
  },
  graph: (_params, ctx) => graphInfo(ctx.manager.manifest.graph, (name) => ctx.manager.service(name).conditions),
  usage(params, ctx) {
    const services = optionalNames(params, 'services') ?? ctx.manager.manifest.graph.names
    return Object.fromEntries(services.map((s) => [s, ctx.manager.usage(s)]))
  },
  // The manager reads the file itself, as `svc up` did (jiti, no module cache): what runs is what the file says now.
  async apply(params, ctx) {
    const file = name(params, 'file')
    if (!isAbsolute(file)) throw new RpcError(RPC.invalidParams, 'params.file must be an absolute path.')
    if (params.dryRun !== undefined && typeof params.dryRun !== 'boolean') throw new RpcError(RPC.invalidParams, 'params.dryRun must be true or false.')
    const manifest = await importManifest(file)
    const plan = params.dryRun ? ctx.manager.plan(manifest) : await ctx.manager.apply(manifest)
    return { plan, applied: !params.dryRun, services: ctx.manager.services() }
  },
  async down(params, ctx) {
    const host = params.host === undefined ? undefined : String(params.host)
    if (host !== undefined && host !== ctx.manager.host) {
      const runs = ctx.manager.host === null ? 'is not in a cluster on NATS' : `runs host "${ctx.manager.host}"`
      throw new RpcError(RPC.invalidParams, `This manager ${runs}, not "${host}": \`svc down --host\` closes the host it is run on. Run it on host ${host}.`)
    }
    return { closed: await ctx.down(host) }
  },
}

export function isMethod(name: string): name is MethodName {
  return Object.hasOwn(methods, name)
}

/** The other hosts' last lines of `services` (a cluster on NATS; none on a host alone). */
async function otherHosts(manager: ServicesManager, services: string[], limit: number): Promise<LogLine[]> {
  const everywhere = await Promise.all(services.map((s) => manager.clusterLogs(s, limit)))
  return everywhere.flat().filter((line) => line.service.includes('@'))
}

function mergeLogs(perService: LogLine[][], limit: number): LogLine[] {
  const all = perService.flat().sort((a, b) => a.at - b.at)
  return all.slice(Math.max(0, all.length - limit))
}

function name(params: Record<string, unknown>, key: string): string {
  const value = params[key]
  if (typeof value !== 'string' || value.length === 0) throw new RpcError(RPC.invalidParams, `params.${key} must be a non-empty string.`)
  return value
}

function optionalNames(params: Record<string, unknown>, key: string): string[] | undefined {
  const value = params[key]
  if (value === undefined) return undefined
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw new RpcError(RPC.invalidParams, `params.${key} must be an array of service names.`)
  }
  return value as string[]
}

function optionalCount(params: Record<string, unknown>, key: string): number | undefined {
  const value = params[key]
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw new RpcError(RPC.invalidParams, `params.${key} must be an integer ≥ 0.`)
  return value
}

export interface PoolStatus {
  service: string
  pool: string
  nodeId: string
  state: string
  members: string[]
}

// Every running service that is in a node pool (the scheduler in cluster mode) says so through clusterStatus();
// services without that method refuse it, which only means they are not in a pool.
async function clusterPools(manager: ServicesManager): Promise<PoolStatus[]> {
  const running = manager.services().filter((s) => s.state === 'running')
  const answers = await Promise.all(
    running.map(async (s) => {
      try {
        const status = (await Promise.race([
          manager.call(s.name, 'clusterStatus'),
          new Promise((resolve) => setTimeout(resolve, 2000).unref()),
        ])) as { enabled?: boolean; pool?: string; nodeId?: string; state?: string; members?: string[] } | undefined
        return status?.enabled ? { service: s.name, pool: status.pool ?? '?', nodeId: status.nodeId ?? '?', state: status.state ?? '?', members: status.members ?? [] } : null
      } catch {
        return null
      }
    }),
  )
  return answers.filter((a): a is PoolStatus => a !== null)
}
