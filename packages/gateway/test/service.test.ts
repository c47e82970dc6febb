// The framework adapter, driven with a hand-made ServiceContext (the real runtime is not needed to check
// that the factory starts the engine, logs its URL, routes calls through ctx.call and stops on close).

import { expect, test } from '@jest/globals'
import type { Server } from 'node:http'
import { isServiceDefinition, type ServiceContext } from '@services-cluster/core/remote'
import gatewayService, { type GatewayConfig } from '../src/index.js'
import { bestNode, captureLog, FakeBackend } from './helpers/fake-backend.js'
import { request, rpc } from './helpers/http.js'

test('the default export is a service definition that serves ctx.call over HTTP and stops on close', async () => {
  expect(isServiceDefinition(gatewayService)).toBe(true)
  const backend = new FakeBackend()
  const { lines, log } = captureLog()
  const closers: Array<() => void | Promise<void>> = []
  const ctx = {
    name: 'gateway',
    config: { port: 0, expose: ['checker.getBestNode'], callTimeoutMs: 500 },
    env: {},
    log,
    signal: new AbortController().signal,
    call: (service: string, method: string, args: unknown[], options?: { timeoutMs?: number }) => backend.call(service, method, args, options),
    services: () => backend.services(),
    onClose: (fn: () => void | Promise<void>) => void closers.push(fn),
  } as unknown as ServiceContext<GatewayConfig>

  const api = await gatewayService.factory(ctx)
  const { host, port } = api.address()
  const base = `http://${host}:${port}`
  expect(lines).toContainEqual(['info', `gateway listening on ${base}`])
  expect((await rpc(base, { jsonrpc: '2.0', method: 'checker.getBestNode', params: ['btc'], id: 1 })).json().result).toEqual(bestNode)
  expect(backend.calls[0]).toMatchObject({ service: 'checker', method: 'getBestNode', options: { timeoutMs: 500 } })
  expect(api.stats().methods['checker.getBestNode']).toMatchObject({ count: 1, errors: 0 })

  for (const close of closers.reverse()) await close()
  await expect(request(`${base}/healthz`)).rejects.toThrow()
})

test('with listen in the manifest (SVC_LISTEN_FD set), the gateway serves through ctx.listen and needs no config.port', async () => {
  const backend = new FakeBackend()
  const { lines, log } = captureLog()
  const closers: Array<() => void | Promise<void>> = []
  const handed: Server[] = []
  const ctx = {
    name: 'gateway',
    config: { port: 8545, expose: ['checker.getBestNode'] },
    env: { SVC_LISTEN_FD: '4' },
    log,
    signal: new AbortController().signal,
    call: (service: string, method: string, args: unknown[], options?: { timeoutMs?: number }) => backend.call(service, method, args, options),
    services: () => backend.services(),
    onClose: (fn: () => void | Promise<void>) => void closers.push(fn),
    // Stands in for the manager's socket: the real ctx.listen calls server.listen({ fd: 4 }).
    listen: (server: Server) => {
      handed.push(server)
      return new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    },
  } as unknown as ServiceContext<GatewayConfig>

  const api = await gatewayService.factory(ctx)
  expect(handed).toHaveLength(1)
  const { port } = api.address()
  expect(port).toBe((handed[0]!.address() as { port: number }).port)
  expect(lines).toContainEqual(['warn', "config.port 8545 is ignored: the manifest's listen holds the gateway's port"])
  expect((await rpc(`http://127.0.0.1:${port}`, { jsonrpc: '2.0', method: 'checker.getBestNode', params: ['btc'], id: 1 })).json().result).toEqual(bestNode)
  for (const close of closers.reverse()) await close()
})
