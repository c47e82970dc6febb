// Starts engines on port 0 and stops every one of them after each test.

import { afterEach } from '@jest/globals'
import { Gateway, type GatewayConfig, type GatewayLogger } from '../../src/index.js'
import { captureLog, FakeBackend } from './fake-backend.js'

const running = new Set<Gateway>()

afterEach(async () => {
  await Promise.all([...running].map((g) => g.stop()))
  running.clear()
})

export interface Started {
  gateway: Gateway
  base: string
  backend: FakeBackend
  lines: Array<[string, string]>
}

export async function startGateway(
  config: Partial<GatewayConfig> = {},
  backend = new FakeBackend(),
  log?: GatewayLogger,
): Promise<Started> {
  const captured = captureLog()
  const gateway = new Gateway({
    backend,
    config: { port: 0, expose: ['checker.getBestNode', 'checker.echo'], ...config },
    log: log ?? captured.log,
    stopGraceMs: 1000,
  })
  running.add(gateway)
  await gateway.start()
  return { gateway, base: gateway.url!, backend, lines: captured.lines }
}
