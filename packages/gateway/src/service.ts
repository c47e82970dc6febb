// The framework adapter: `entry: '@services-cluster/gateway'` in a manifest runs this in a child process.

import type { Server } from 'node:http'
import { defineService, type ServiceContext } from '@services-cluster/core/remote'
import type { Backend } from './backend.js'
import type { GatewayConfig } from './config.js'
import { Gateway, type GatewayAddress, type GatewayStats } from './gateway.js'

export interface GatewayServiceApi {
  address(): GatewayAddress
  stats(): GatewayStats
}

export function backendFromContext(ctx: ServiceContext<unknown>): Backend {
  return {
    call: (service, method, params, options) => ctx.call(service, method, params, options),
    services: () => ctx.services(),
  }
}

export default defineService<GatewayServiceApi, GatewayConfig>(async (ctx) => {
  // `listen` in the manifest: the manager holds the port (it stays open across restarts) and every process of the
  // gateway serves it; config.port is then not needed, and ignored if given.
  const shared = ctx.env.SVC_LISTEN_FD !== undefined
  if (shared && ctx.config?.port !== undefined) ctx.log.warn(`config.port ${ctx.config.port} is ignored: the manifest's listen holds the gateway's port`)
  const config = shared ? { ...ctx.config, port: 0 } : ctx.config
  const listen = shared ? (server: Server) => ctx.listen(server) : undefined
  // With `instances: n` several gateway processes serve the one port; each says which it is (x-svc-instance).
  const instance = ctx.env.SVC_INSTANCE
  const gateway = new Gateway({ backend: backendFromContext(ctx), config, log: ctx.log, env: ctx.env, listen, instance })
  ctx.onClose(() => gateway.stop())
  await gateway.start()
  ctx.log.info(`gateway listening on ${gateway.url}`)
  return {
    address: () => gateway.address(),
    stats: () => gateway.stats(),
  }
})
