// The gateway as a real service under the real ServicesManager: `entry: '@services-cluster/gateway'`
// resolves to the built package (dist/), runs in a child process, and calls a checker in another one.

import { afterEach, expect, test } from '@jest/globals'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { ServicesManager } from '@services-cluster/core'
import type { GatewayAddress } from '../src/index.js'
import { request, rpc } from './helpers/http.js'

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url))
const DIST = fileURLToPath(new URL('../dist/index.js', import.meta.url))

let manager: ServicesManager | undefined
afterEach(async () => {
  await manager?.close()
  manager = undefined
})

test('the manifest entry "@services-cluster/gateway" serves a checker over HTTP', async () => {
  if (!existsSync(DIST)) throw new Error('packages/gateway/dist is missing: run `npx tsc -b packages/gateway` (npm test builds first).')
  manager = new ServicesManager(
    {
      services: {
        checker: { entry: './checker.ts' },
        gateway: {
          entry: '@services-cluster/gateway',
          dependsOn: ['checker'],
          config: { port: 0, expose: ['checker.getBestNode', 'checker.fail'] },
        },
      },
    },
    { cwd: FIXTURES },
  )
  await manager.start()
  const { host, port } = (await manager.call('gateway', 'address')) as GatewayAddress
  const base = `http://${host}:${port}`
  expect(manager.logs('gateway').map((l) => l.line).join('\n')).toContain(`gateway listening on ${base}`)

  const ok = (await rpc(base, { jsonrpc: '2.0', method: 'checker.getBestNode', params: ['btc'], id: 1 })).json()
  // The same process answers over HTTP as through the manager (its pid is its own PID namespace's).
  expect(ok.result).toEqual({ id: 'btc-1', type: 'btc', pid: expect.any(Number) })
  expect(ok.result).toEqual(await manager.call('checker', 'getBestNode', 'btc'))

  const bad = (await rpc(base, { jsonrpc: '2.0', method: 'checker.fail', params: ['xrp'], id: 2 })).json()
  expect(bad.error).toMatchObject({ code: -32000, message: 'Unknown node type "xrp"', data: { code: 'SVC_ERR_CHECKER_BAD_TYPE', details: { type: 'xrp' } } })

  const health = await request(`${base}/healthz`)
  expect(health.status).toBe(200)
  expect(health.json().services.map((s: { name: string; state: string }) => `${s.name}:${s.state}`).sort()).toEqual(['checker:running', 'gateway:running'])
  expect((await request(`${base}/metrics`)).text).toMatch(/svc_service_up\{service="checker"\} 1/)

  await manager.close()
  await expect(request(`${base}/healthz`)).rejects.toThrow()
})

test('with listen in the manifest, the manager holds the gateway\'s port and the gateway serves it (ctx.listen)', async () => {
  if (!existsSync(DIST)) throw new Error('packages/gateway/dist is missing: run `npx tsc -b packages/gateway` (npm test builds first).')
  manager = new ServicesManager(
    {
      services: {
        checker: { entry: './checker.ts' },
        gateway: { entry: '@services-cluster/gateway', dependsOn: ['checker'], listen: { port: 0, host: '127.0.0.1' }, config: { expose: ['checker.getBestNode'] } },
      },
    },
    { cwd: FIXTURES },
  )
  await manager.start()
  const held = manager.service('gateway').listen!
  expect(await manager.call('gateway', 'address')).toEqual({ host: '127.0.0.1', port: held.port })
  const base = `http://127.0.0.1:${held.port}`
  expect((await rpc(base, { jsonrpc: '2.0', method: 'checker.getBestNode', params: ['btc'], id: 1 })).json().result).toMatchObject({ id: 'btc-1' })
  await manager.restart('gateway')
  expect(manager.service('gateway').listen).toEqual(held) // the same port across the restart
  expect((await request(`${base}/healthz`)).status).toBe(200)
})
