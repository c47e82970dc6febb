// The service definition, driven with a hand-made ServiceContext (the framework runtime is not needed).
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isServiceDefinition, type ServiceContext } from '@services-cluster/core/remote'
import service, { Scheduler, resolveCluster, type SchedulerServiceConfig } from '../src/index.js'

let dir: string
let closers: (() => void | Promise<void>)[] = []
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'svc-scheduler-service-'))
})
afterEach(async () => {
  // ctx.onClose semantics: reverse order of registration.
  for (const close of closers.reverse()) await close()
  closers = []
  await rm(dir, { recursive: true, force: true })
})

function fakeContext(config: SchedulerServiceConfig, env: Record<string, string> = {}) {
  const calls: unknown[][] = []
  const warnings: unknown[][] = []
  const ctx = {
    name: 'scheduler',
    config,
    env,
    log: { debug() {}, info() {}, warn: (...args: unknown[]) => warnings.push(args), error() {} },
    signal: new AbortController().signal,
    call: async (...args: unknown[]) => {
      calls.push(args)
      return { checked: 3 }
    },
    onClose: (fn: () => void | Promise<void>) => closers.push(fn),
  } as unknown as ServiceContext<SchedulerServiceConfig | undefined>
  return { ctx, calls, warnings }
}

const check = { name: 'check', every: '1h', call: { service: 'checker', method: 'check', args: ['btc'] }, timeoutMs: 5_000 }

describe('scheduler service', () => {
  it('is the default export, a service definition', () => {
    expect(isServiceDefinition(service)).toBe(true)
    expect(typeof Scheduler).toBe('function')
  })

  it('bootstraps the configured tasks and calls services through ctx.call', async () => {
    const { ctx, calls } = fakeContext({ tasks: [check], baseDir: dir })
    const api = await service.factory(ctx)
    expect(Object.keys(api).sort()).toEqual(['bootstrap', 'clusterStatus', 'taskAdd', 'taskList', 'taskRemove', 'taskRun', 'taskStart', 'taskStop'])
    expect(api.taskList()).toEqual([expect.objectContaining({ definition: check, enabled: true })])
    await expect(api.taskRun('check')).resolves.toMatchObject({ ok: true, result: { checked: 3 } })
    expect(calls).toEqual([['checker', 'check', ['btc'], { timeoutMs: 5_000 }]])
  })

  it('persists tasks added at run time to the state file', async () => {
    const { ctx } = fakeContext({ baseDir: dir })
    const api = await service.factory(ctx)
    await api.taskAdd({ ...check, name: 'later' })
    const state = JSON.parse(await readFile(join(dir, '.svc', 'scheduler-tasks.json'), 'utf8'))
    expect(state.tasks).toEqual([{ ...check, name: 'later' }])
  })

  it('logs runs that fail', async () => {
    const { ctx, warnings } = fakeContext({ tasks: [{ ...check, call: { service: 'checker', method: 'check' } }], baseDir: dir })
    ;(ctx as { call: unknown }).call = async () => Promise.reject(new Error('checker is closing'))
    const api = await service.factory(ctx)
    await api.taskRun('check')
    expect(String(warnings[0]?.[0])).toContain('task "check" failed: checker is closing')
  })

  it('stops the engine on close', async () => {
    const { ctx } = fakeContext({ tasks: [check], baseDir: dir })
    const api = await service.factory(ctx)
    for (const close of closers.reverse()) await close()
    closers = []
    await expect(api.taskRun('check')).rejects.toMatchObject({ code: 'SVC_ERR_SCHED_STOPPED' })
  })

  it('reports cluster mode off without a cluster', async () => {
    const { ctx } = fakeContext({ tasks: [check], baseDir: dir })
    const api = await service.factory(ctx)
    expect(api.clusterStatus()).toEqual({ enabled: false, pool: null, nodeId: null, state: 'disabled', members: [], timing: null })
  })

  it('stays out of the cluster with cluster: false, whatever the manifest says', async () => {
    const { ctx } = fakeContext({ baseDir: dir, cluster: false }, { SVC_CLUSTER_REDIS: 'redis://127.0.0.1:1', SVC_CLUSTER_NAME: 'prod' })
    const api = await service.factory(ctx)
    expect(api.clusterStatus().enabled).toBe(false)
  })

  it('fails the start with a coded error when the cluster Redis cannot be reached', async () => {
    // Port 1 refuses at once; nothing may be left open (jest would not exit).
    const { ctx } = fakeContext({ baseDir: dir, cluster: { heartbeatMs: 100 } }, { SVC_CLUSTER_REDIS: 'redis://127.0.0.1:1', SVC_CLUSTER_NAME: 'prod' })
    await expect(service.factory(ctx)).rejects.toMatchObject({ code: 'SVC_ERR_SCHED_CLUSTER_UNAVAILABLE', field: 'cluster.redis' })
    expect(closers).toEqual([])
  })
})

describe('cluster settings', () => {
  const env = { SVC_CLUSTER_REDIS: 'redis://redis.internal:6379', SVC_CLUSTER_NAME: 'prod' }

  it('come from the manifest (environment), the pool named after cluster and service', () => {
    expect(resolveCluster(undefined, env, 'scheduler')).toEqual({ redis: env.SVC_CLUSTER_REDIS, name: 'prod', pool: 'prod/scheduler' })
    expect(resolveCluster(undefined, {}, 'scheduler')).toBeNull()
  })

  it('config wins over the environment', () => {
    expect(resolveCluster({ redis: 'redis://other:6379', name: 'x', heartbeatMs: 100 }, env, 'jobs')).toEqual({
      redis: 'redis://other:6379',
      name: 'x',
      pool: 'x/jobs',
      heartbeatMs: 100,
    })
  })

  it.each([
    ['timing without a Redis URL', { heartbeatMs: 100 }, {}, 'cluster.redis'],
    ['a URL that is not redis://', { redis: 'http://x' }, {}, 'cluster.redis'],
    ['no cluster name', undefined, { SVC_CLUSTER_REDIS: 'redis://x:6379' }, 'cluster.name'],
    ['a cluster that is not an object', 'yes', {}, 'cluster'],
  ])('refuses %s with SVC_ERR_SCHED_CLUSTER_CONFIG', (_case, config, environment, field) => {
    expect(() => resolveCluster(config as never, environment, 'scheduler')).toThrow(expect.objectContaining({ code: 'SVC_ERR_SCHED_CLUSTER_CONFIG', field }))
  })
})
