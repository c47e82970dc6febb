// Two gateway processes (`instances: 2`) on the one port the manager holds (`listen`): both answer on it, each says
// which it is (x-svc-instance), and killing one loses no request but those it had in flight — never a refusal.

import { afterEach, expect, test } from '@jest/globals'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { ServicesManager } from '@services-cluster/core'
import { request, rpc } from './helpers/http.js'

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url))
const DIST = fileURLToPath(new URL('../dist/index.js', import.meta.url))
const call = { jsonrpc: '2.0', method: 'checker.getBestNode', params: ['btc'], id: 1 }

let manager: ServicesManager | undefined
afterEach(async () => {
  await manager?.close()
  manager = undefined
})

async function twoGateways(): Promise<string> {
  if (!existsSync(DIST)) throw new Error('packages/gateway/dist is missing: run `npx tsc -b packages/gateway` (npm test builds first).')
  manager = new ServicesManager(
    {
      services: {
        checker: { entry: './checker.ts' },
        gateway: {
          entry: '@services-cluster/gateway',
          dependsOn: ['checker'],
          instances: 2,
          listen: { port: 0, host: '127.0.0.1' },
          config: { expose: ['checker.getBestNode'] },
          restart: { backoff: { initialMs: 10, maxMs: 50, jitter: 0 } },
        },
      },
    },
    { cwd: FIXTURES },
  )
  await manager.start()
  return `http://127.0.0.1:${manager.service('gateway').listen!.port}`
}

// Sends requests from `concurrency` loops, each on a new connection, until stopped; keeps who answered and every error.
function loop(base: string, concurrency: number) {
  const answeredBy = new Map<string, number>()
  const errors: Array<{ code?: string; message: string }> = []
  let running = true
  let ok = 0
  const loops = Array.from({ length: concurrency }, async () => {
    while (running) {
      try {
        const res = await rpc(base, call)
        if (res.status !== 200 || !res.json().result) throw new Error(`HTTP ${res.status}: ${res.text}`)
        const who = String(res.headers['x-svc-instance'])
        answeredBy.set(who, (answeredBy.get(who) ?? 0) + 1)
        ok++
      } catch (error) {
        errors.push(error as { code?: string; message: string })
      }
    }
  })
  return {
    answeredBy,
    errors,
    get ok() {
      return ok
    },
    async until(predicate: () => boolean, what: string, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs
      while (!predicate()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; answered by ${JSON.stringify(Object.fromEntries(answeredBy))}`)
        await new Promise((r) => setTimeout(r, 10))
      }
    },
    async stop() {
      running = false
      await Promise.all(loops)
    },
  }
}

test('two gateway processes answer on the one port the manager holds, each naming itself in x-svc-instance and /healthz', async () => {
  const base = await twoGateways()
  expect(manager!.service('gateway').instances.map((i) => `${i.id}:${i.state}`)).toEqual(['gateway#0:running', 'gateway#1:running'])
  const requests = loop(base, 4)
  try {
    // The kernel hands each connection to one of the processes accepting on the socket; both get some.
    await requests.until(() => requests.answeredBy.size === 2, 'both processes to answer')
  } finally {
    await requests.stop()
  }
  expect([...requests.answeredBy.keys()].sort()).toEqual(['0', '1'])
  expect(requests.errors).toEqual([])
  const health = await request(`${base}/healthz`)
  expect(health.json().instance).toBe(health.headers['x-svc-instance'])
})

test('killing gateway#1 under a request loop refuses nothing: gateway#0 and the backlog carry the port; only requests in flight on #1 may fail', async () => {
  const base = await twoGateways()
  const victim = manager!.service('gateway').instances[1]!.pid
  const concurrency = 4
  const requests = loop(base, concurrency)
  try {
    await requests.until(() => requests.answeredBy.size === 2, 'both processes to answer')
    const before = requests.ok
    // Resolves once gateway#1 has exited and been restarted alone (gateway as a service never went down).
    await manager!.kill('gateway#1')
    const after = requests.ok
    expect(manager!.service('gateway').instances[1]!.pid).not.toBe(victim)
    expect(manager!.service('gateway')).toMatchObject({ state: 'running', restarts: 1 })
    await requests.until(() => requests.ok > after + 100, '100 more answers after the restart')
    expect(after).toBeGreaterThan(before)
  } finally {
    await requests.stop()
  }
  // A connection #1 had accepted dies with it (a reset, or a hang-up); nothing is ever refused.
  expect(requests.errors.filter((e) => e.code === 'ECONNREFUSED')).toEqual([])
  expect(requests.errors.length).toBeLessThanOrEqual(concurrency)
  for (const e of requests.errors) expect(e.code === 'ECONNRESET' || /socket hang up/.test(e.message)).toBe(true)
  expect([...requests.answeredBy.keys()].sort()).toEqual(['0', '1'])
})
