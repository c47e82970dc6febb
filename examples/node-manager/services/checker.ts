// The `checker` service: a registry of blockchain RPC nodes with health checks (see docs/node-manager.md).
import { defineService, type ServiceContext } from '@services-cluster/core/remote'
import { describeBootstrap } from '../src/checker/bootstrap.ts'
import { createChecker } from '../src/checker/checker.ts'
import { defaultsFor, openStore, parseCheckerConfig, type CheckerConfigInput } from '../src/checker/config.ts'

export default defineService(async (ctx: ServiceContext<CheckerConfigInput | undefined>) => {
  const config = parseCheckerConfig(ctx.config, ctx.name, defaultsFor(ctx.env))
  const store = await openStore(config.store, (message) => ctx.log.warn(message))
  ctx.onClose(() => store.close())

  const checker = createChecker({
    store,
    nodesFile: config.nodesFile,
    lagBlocks: config.lagBlocks,
    checkTimeoutMs: config.checkTimeoutMs,
    signal: ctx.signal,
  })
  if (config.bootstrapOnStart) ctx.log.info(describeBootstrap(await checker.bootstrapIfStale(), store.kind, config.nodesFile))
  if (config.checkOnStart) {
    const report = await checker.api.check()
    ctx.log.info(`first check: ${report.nodes.map((n) => `${n.id}=${n.status}`).join(' ')}`)
  }
  return checker.api
})
