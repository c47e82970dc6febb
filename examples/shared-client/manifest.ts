// The example's services as a function of a few options, so svc.config.ts (options from the environment)
// and the test (free ports, a temp state dir) share one manifest.
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineServices } from '@services-cluster/core'

const HERE = fileURLToPath(new URL('.', import.meta.url))
export const EXAMPLE_DIR = HERE.endsWith('/') ? HERE.slice(0, -1) : HERE
export const DEFAULT_CLUSTER_PORT = 7788

export interface SharedClientOptions {
  /** The cluster client's election port on 127.0.0.1. Default 7788. */
  clusterPort?: number
  /** The feed's TCP port. Default 0: a free one, which dependents ask the feed for. */
  feedPort?: number
  /** Default `<example>/.svc`. */
  stateDir?: string
}

// SHARED_CLIENT_PORT, SHARED_CLIENT_FEED_PORT, SHARED_CLIENT_STATE_DIR.
export function optionsFromEnv(env: Record<string, string | undefined>): SharedClientOptions {
  const port = (name: string) => (env[name] === undefined ? undefined : Number(env[name]))
  return { clusterPort: port('SHARED_CLIENT_PORT'), feedPort: port('SHARED_CLIENT_FEED_PORT'), stateDir: env.SHARED_CLIENT_STATE_DIR }
}

export function sharedClientManifest(options: SharedClientOptions = {}) {
  const clusterPort = options.clusterPort ?? DEFAULT_CLUSTER_PORT
  const member = (file: string, config: object = {}) => ({
    entry: join(EXAMPLE_DIR, 'services', file),
    dependsOn: ['feed'],
    config: { clusterPort, ...config },
    restart: { policy: 'on-failure' as const, backoff: { initialMs: 100, maxMs: 2000 } },
  })
  return defineServices({
    stateDir: resolve(EXAMPLE_DIR, options.stateDir ?? '.svc'),
    services: {
      feed: { entry: join(EXAMPLE_DIR, 'services/feed.ts'), config: { port: options.feedPort ?? 0 } },
      pricer: member('pricer.ts'),
      notifier: member('notifier.ts', { threshold: 100 }),
      auditor: member('auditor.ts'),
    },
  })
}
