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
  const loaded = await checker.bootstrapIfStale()
  if (!loaded) ctx.log.info(`kept the nodes already in the ${store.kind} store, loaded from ${config.nodesFile}`)
  else if (loaded.reason === 'empty') ctx.log.info(`loaded ${loaded.loaded} nodes from ${config.nodesFile}`)
  else {
    ctx.log.info(
      `${config.nodesFile} changed since the ${store.kind} store was loaded from it: reloaded ${loaded.loaded} nodes, ` +
        `replacing ${loaded.dropped}; kept ${loaded.kept} added at run time`,
    )
  }
  if (config.checkOnStart) {
    const report = await checker.api.check()
    ctx.log.info(`first check: ${report.nodes.map((n) => `${n.id}=${n.status}`).join(' ')}`)
  }
  return checker.api
})
