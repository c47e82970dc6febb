// pg_nm's bootstrap: the nodes file into the store, when the store is empty or the file changed since it was loaded.
// The example runs it as a one-shot before the checker (scripts/bootstrap.ts); a checker on its own runs it on start.
import { createChecker, type BootstrapResult } from './checker.ts'
import { openStore, type CheckerConfig } from './config.ts'

/** Opens the store, bootstraps it if stale, closes it; returns the line to log. */
export async function bootstrapStore(config: CheckerConfig, onWarning: (message: string) => void): Promise<string> {
  const store = await openStore(config.store, onWarning)
  try {
    const checker = createChecker({ store, nodesFile: config.nodesFile, lagBlocks: config.lagBlocks, checkTimeoutMs: config.checkTimeoutMs })
    return describeBootstrap(await checker.bootstrapIfStale(), store.kind, config.nodesFile)
  } finally {
    await store.close()
  }
}

export function describeBootstrap(loaded: BootstrapResult | undefined, storeKind: string, nodesFile: string): string {
  if (!loaded) return `kept the nodes already in the ${storeKind} store, loaded from ${nodesFile}`
  if (loaded.reason === 'empty') return `loaded ${loaded.loaded} nodes from ${nodesFile}`
  return (
    `${nodesFile} changed since the ${storeKind} store was loaded from it: reloaded ${loaded.loaded} nodes, ` +
    `replacing ${loaded.dropped}; kept ${loaded.kept} added at run time`
  )
}
