// The framework adapter: `entry: '@services-cluster/gateway'` in a manifest runs this in a child process.

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
  const gateway = new Gateway({ backend: backendFromContext(ctx), config: ctx.config, log: ctx.log, env: ctx.env })
  ctx.onClose(() => gateway.stop())
  await gateway.start()
  ctx.log.info(`gateway listening on ${gateway.url}`)
  return {
    address: () => gateway.address(),
    stats: () => gateway.stats(),
  }
})
