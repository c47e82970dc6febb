// The ready-made service: `scheduler: { entry: '@services-cluster/scheduler', config: { tasks } }`.
// Builds the engine from the service context, bootstraps it with the configured tasks and exposes the
// task API to other services and the CLI.

import { resolve } from 'node:path'
import { defineService, type ServiceContext } from '@services-cluster/core/remote'
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
}

export function createSchedulerApi(scheduler: Scheduler, configTasks: readonly TaskDefinition[]) {
  return {
    // Reloads: the given tasks (or the configured ones) merged with the persisted ones.
    bootstrap: (tasks?: TaskDefinition[]) => scheduler.bootstrap(tasks ?? configTasks),
    taskList: () => scheduler.taskList(),
    taskAdd: (task: TaskDefinition) => scheduler.taskAdd(task),
    taskRemove: (name: string) => scheduler.taskRemove(name),
    taskRun: (name: string) => scheduler.taskRun(name),
    taskStop: (name: string) => scheduler.taskStop(name),
    taskStart: (name: string) => scheduler.taskStart(name),
  }
}

export type SchedulerApi = ReturnType<typeof createSchedulerApi>

export default defineService(async (ctx: ServiceContext<SchedulerServiceConfig | undefined>) => {
  const config = ctx.config ?? {}
  const baseDir = resolve(config.baseDir ?? process.cwd())
  const scheduler = new Scheduler({
    call: (service, method, args, options) =>
      ctx.call(service, method, args, options.timeoutMs === undefined ? undefined : { timeoutMs: options.timeoutMs }),
    store: new FileTaskStore(resolve(baseDir, config.stateFile ?? `.svc/${ctx.name}-tasks.json`)),
    moduleBaseDir: baseDir,
    maxWorkers: config.maxWorkers,
    cancelGraceMs: config.cancelGraceMs,
    log: ctx.log,
  })
  ctx.onClose(() => scheduler.stop())
  scheduler.on('run:end', (task, run) => {
    if (!run.ok) ctx.log.warn(`task "${task}" ${run.outcome}: ${run.error?.message}`)
  })
  const configTasks = config.tasks ?? []
  await scheduler.bootstrap(configTasks)
  return createSchedulerApi(scheduler, configTasks)
})
