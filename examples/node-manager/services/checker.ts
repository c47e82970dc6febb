// The `checker` service: a registry of blockchain RPC nodes with health checks (see docs/node-manager.md).
import { fileURLToPath } from 'node:url'
import { defineService, type ServiceContext } from '@services-cluster/core/remote'
import { createChecker } from '../src/checker/checker.ts'
import { openStore, parseCheckerConfig, type CheckerConfigInput } from '../src/checker/config.ts'

export default defineService(async (ctx: ServiceContext<CheckerConfigInput | undefined>) => {
  const config = parseCheckerConfig(ctx.config, ctx.name, {
    nodesFile: fileURLToPath(new URL('../nodes.json', import.meta.url)),
    filePath: '.svc/node-manager/checker-store.jsonl',
    redisUrl: ctx.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  })
  const store = await openStore(config.store, (message) => ctx.log.warn(message))
  ctx.onClose(() => store.close())

  const checker = createChecker({
    store,
    nodesFile: config.nodesFile,
    lagBlocks: config.lagBlocks,
    checkTimeoutMs: config.checkTimeoutMs,
    signal: ctx.signal,
  })
  const loaded = await checker.bootstrapIfEmpty()
  ctx.log.info(
    loaded ? `loaded ${loaded.loaded} nodes from ${config.nodesFile}` : `kept the nodes already in the ${store.kind} store`,
  )
  if (config.checkOnStart) {
    const report = await checker.api.check()
    ctx.log.info(`first check: ${report.nodes.map((n) => `${n.id}=${n.status}`).join(' ')}`)
  }
  return checker.api
})
