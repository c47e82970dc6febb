// The real `svc` binary on the example's real svc.config.ts: up --detach, call, HTTP through the gateway, down.
// Ports (Redis's too) and the state dir come from the NM_* variables the manifest reads. Needs the packages built
// and redis-server on the PATH.
import { afterAll, beforeAll, expect, it } from '@jest/globals'
import { execFile } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { EXAMPLE_DIR } from '../manifest.ts'
import { freePorts } from './helpers/ports.ts'
import { gatewayCall } from './helpers/gateway-rpc.ts'
import { processesWith } from './helpers/processes.ts'
import { redisCommand, redisServerForTests } from './helpers/redis.ts'

const BIN = fileURLToPath(new URL('../../../packages/cli/dist/bin.js', import.meta.url))
const CONFIG = join(EXAMPLE_DIR, 'svc.config.ts')

const enabled = redisServerForTests('the node-manager svc CLI test')
let dir = ''
let gatewayPort = 0
let redisPort = 0
let env: NodeJS.ProcessEnv = {}

function svc(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, '-c', CONFIG, '--no-color', ...args], { env, timeout: 45_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0
      resolve({ code, stdout, stderr })
    })
  })
}

beforeAll(async () => {
  if (!enabled) return
  dir = await mkdtemp(join(tmpdir(), 'nm-cli-'))
  const [gateway, redis, ...sim] = await freePorts(7)
  gatewayPort = gateway!
  redisPort = redis!
  const ids = ['btc-a', 'btc-b', 'ltc-a', 'eth-a', 'eth-b']
  // Only this test's settings: no Redis or store choice from the developer's environment.
  env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('NM_')))
  Object.assign(env, {
    NM_STATE_DIR: dir,
    NM_GATEWAY_PORT: String(gatewayPort),
    NM_REDIS_PORT: String(redisPort),
    NM_SIM_PORTS: ids.map((id, i) => `${id}=${sim[i]}`).join(','),
  })
})

afterAll(async () => {
  if (!dir) return
  // Even when a step failed: stop the manager by the CLI, and by its pid only if the CLI could not.
  const down = existsSync(join(dir, 'private', 'control.sock')) ? await svc('down') : null
  const pidFile = join(dir, 'private', 'manager.pid')
  if (down && down.code !== 0 && down.code !== 3 && existsSync(pidFile)) {
    const pid = Number(readFileSync(pidFile, 'utf8').trim())
    try {
      if (pid > 0) process.kill(pid, 'SIGTERM')
    } catch {
      // already gone
    }
  }
  await rm(dir, { recursive: true, force: true })
}, 60_000)

;(enabled ? it : it.skip)('svc up --detach, svc call, a curl-style POST to the gateway, svc down', async () => {
  const up = await svc('up', '--detach', '--json')
  expect({ code: up.code, stderr: up.stderr }).toEqual({ code: 0, stderr: expect.any(String) })
  const started = JSON.parse(up.stdout) as { socket: string; services: Array<{ name: string; state: string }> }
  expect(started.socket).toBe(join(dir, 'private', 'control.sock'))
  expect(started.services.map((s) => `${s.name}:${s.state}`)).toEqual([
    'redis:running',
    'chain-sim:running',
    'bootstrap:completed',
    'checker:running',
    'scheduler:running',
    'gateway:running',
  ])
  expect(await redisCommand(redisPort, 'HLEN nm:nodes')).toBe(':5')

  const call = await svc('call', 'checker.getBestNode', 'btc', '--json')
  expect(call.code).toBe(0)
  const best = JSON.parse(call.stdout)
  expect(best).toMatchObject({ type: 'btc', health: { status: 'online' } })

  // The same method through the gateway: a healthy btc node (which one is best may have changed since: a scheduled
  // check can run between the two calls, as it did once in CI).
  const viaHttp = await gatewayCall(gatewayPort, 'checker.getBestNode', ['btc'])
  expect(viaHttp).toMatchObject({ type: 'btc', health: { status: 'online' } })

  const down = await svc('down')
  expect(down.code).toBe(0)
  // chain-sim and redis depend on nothing and nothing orders them: they close at the same time, in either order.
  expect(down.stderr).toMatch(/closed gateway, scheduler, checker, bootstrap, (chain-sim, redis|redis, chain-sim)\./)
  expect((await svc('ps')).code).toBe(3)
  await expect(gatewayCall(gatewayPort, 'checker.getBestNode', ['btc'])).rejects.toThrow()
  await expect(redisCommand(redisPort, 'PING')).rejects.toThrow()
  expect(await processesWith('redis-server', String(redisPort))).toEqual([])
}, 60_000)
