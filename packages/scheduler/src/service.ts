// The ready-made service: `scheduler: { entry: '@services-cluster/scheduler', config: { tasks } }`.
// Builds the engine from the service context, bootstraps it with the configured tasks and exposes the
// task API to other services and the CLI. With a cluster (the manifest's `cluster`, or `config.cluster`) it
// joins the hosts' NodePool first and lets the pool decide where each scheduled run happens.

import { resolve } from 'node:path'
import { defineService, type ServiceContext } from '@services-cluster/core/remote'
import { DISABLED_STATUS, SchedulerCluster, resolveCluster, type ClusterConfig, type ClusterStatus } from './cluster.js'
import { Scheduler } from './scheduler.js'
import { FileTaskStore } from './store.js'
import type { TaskDefinition } from './task.js'

export interface SchedulerServiceConfig {
  tasks?: TaskDefinition[]
  // Where taskAdd'ed tasks and taskStop/taskStart flags persist. Default `.svc/<service name>-tasks.json`.
  stateFile?: string
  // Relative `module` paths and `stateFile` resolve against this. Default: the process's working directory.
  baseDir?: string
  maxWorkers?: number
  cancelGraceMs?: number
  // Cluster mode. Default: on when the manifest has `cluster` (SVC_CLUSTER_REDIS / SVC_CLUSTER_NAME); these
  // fields win over the environment; `false` keeps this scheduler out of the cluster.
  cluster?: ClusterConfig | false
}

export function createSchedulerApi(
  scheduler: Scheduler,
  configTasks: readonly TaskDefinition[],
  clusterStatus: () => ClusterStatus = () => DISABLED_STATUS,
) {
  return {
    // Reloads: the given tasks (or the configured ones) merged with the persisted ones.
    bootstrap: (tasks?: TaskDefinition[]) => scheduler.bootstrap(tasks ?? configTasks),
    taskList: () => scheduler.taskList(),
    taskAdd: (task: TaskDefinition) => scheduler.taskAdd(task),
    taskRemove: (name: string) => scheduler.taskRemove(name),
    taskRun: (name: string) => scheduler.taskRun(name),
    taskStop: (name: string) => scheduler.taskStop(name),
    taskStart: (name: string) => scheduler.taskStart(name),
    // The pool as this node sees it: { enabled, pool, nodeId, state, members, timing }.
    clusterStatus: () => clusterStatus(),
  }
}

export type SchedulerApi = ReturnType<typeof createSchedulerApi>

export default defineService(async (ctx: ServiceContext<SchedulerServiceConfig | undefined>) => {
  const config = ctx.config ?? {}
  const baseDir = resolve(config.baseDir ?? process.cwd())
  const settings = resolveCluster(config.cluster, ctx.env, ctx.name)
  const cluster = settings === null ? null : new SchedulerCluster(settings, ctx.log)
  // Joined before any task is armed, so the first due run already asks the pool.
  await cluster?.start()
  const scheduler = new Scheduler({
    call: (service, method, args, options) =>
      ctx.call(service, method, args, options.timeoutMs === undefined ? undefined : { timeoutMs: options.timeoutMs }),
    store: new FileTaskStore(resolve(baseDir, config.stateFile ?? `.svc/${ctx.name}-tasks.json`)),
    moduleBaseDir: baseDir,
    pool: cluster?.gate,
    maxWorkers: config.maxWorkers,
    cancelGraceMs: config.cancelGraceMs,
    log: ctx.log,
  })
  // onClose runs in reverse order: the engine stops (runs end, confirmed) before the pool deregisters.
  if (cluster) ctx.onClose(() => cluster.stop())
  ctx.onClose(() => scheduler.stop())
  scheduler.on('run:end', (task, run) => {
    if (!run.ok) ctx.log.warn(`task "${task}" ${run.outcome}: ${run.error?.message}`)
  })
  const configTasks = config.tasks ?? []
  try {
    await scheduler.bootstrap(configTasks)
  } catch (error) {
    // A failed start never runs onClose: leave no pool registration or Redis connection behind.
    await scheduler.stop().catch(() => {})
    await cluster?.stop().catch(() => {})
    throw error
  }
  return createSchedulerApi(scheduler, configTasks, cluster ? () => cluster.status() : undefined)
})
