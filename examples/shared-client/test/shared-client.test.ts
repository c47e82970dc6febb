// The example under the real ServicesManager: pricer, notifier and auditor each create the feed's cluster
// client in their own process; the feed counts what reaches it. Needs the packages built (npx tsc -b).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ServicesManager } from '@services-cluster/core'
import { EXAMPLE_DIR, optionsFromEnv, sharedClientManifest } from '../manifest.ts'
import type { FeedStats } from '../src/feed-server.ts'
import type { Role } from '../src/feed-client.ts'
import { freePort, logged, nextState } from './helpers.ts'

const MEMBERS = ['pricer', 'notifier', 'auditor']

let manager: ServicesManager
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shared-client-'))
  const env = { SHARED_CLIENT_PORT: String(await freePort()), SHARED_CLIENT_STATE_DIR: dir }
  manager = new ServicesManager(sharedClientManifest(optionsFromEnv(env)), { cwd: EXAMPLE_DIR })
  await manager.start()
}, 30_000)

afterAll(async () => {
  await manager?.close()
  if (dir) await rm(dir, { recursive: true, force: true })
}, 20_000)

const stats = async () => (await manager.call('feed', 'stats')) as FeedStats
const roles = async () => Promise.all(MEMBERS.map(async (s) => (await manager.call(s, 'role')) as Role))

// Every member logs `<topic>: <value as JSON>` for each value its subscription delivers.
async function everyoneSaw(topic: string, value: unknown, services = MEMBERS): Promise<void> {
  await Promise.all(services.map((s) => logged(manager, s, `${topic}: ${JSON.stringify(value)}`)))
}

// A subscription reaches the feed once per connection: wait for both topics on connection `conn`.
async function feedSubscribed(conn: number): Promise<void> {
  await logged(manager, 'feed', `connection #${conn} subscribed to prices`)
  await logged(manager, 'feed', `connection #${conn} subscribed to alerts`)
}

function oneLeader(all: Role[]): Role {
  const leaders = all.filter((r) => r.isLeader)
  expect(leaders).toHaveLength(1)
  const leader = leaders[0]!
  for (const r of all) expect(r).toMatchObject(r === leader ? { state: 'leader' } : { state: 'follower', leaderPid: leader.pid })
  return leader
}

describe('three services of one manifest share one feed connection', () => {
  let leader: Role

  it('opens exactly one upstream connection for the three of them', async () => {
    await feedSubscribed(1)
    expect(await stats()).toEqual({ live: 1, opened: 1, connections: [{ id: 1, topics: ['alerts', 'prices'] }], publishes: 0, gets: 0 })
    leader = oneLeader(await roles())
  })

  it('delivers a published value to every service, and answers invokes from followers', async () => {
    await manager.call('pricer', 'quote', 'ACME', 120)
    await everyoneSaw('prices', { symbol: 'ACME', price: 120 })
    // notifier reacted by publishing an alert; auditor subscribes to alerts
    await everyoneSaw('alerts', { symbol: 'ACME', price: 120, threshold: 100 }, ['auditor'])
    for (const s of MEMBERS) expect(await manager.call(s, 'seen', 'prices')).toEqual([{ symbol: 'ACME', price: 120 }])
    expect(await manager.call('auditor', 'audit')).toEqual({
      prices: { symbol: 'ACME', price: 120 },
      alerts: { symbol: 'ACME', price: 120, threshold: 100 },
      inSync: true,
    })
    expect(await manager.call('pricer', 'current')).toEqual({ symbol: 'ACME', price: 120 })
    expect(await stats()).toMatchObject({ live: 1, opened: 1, publishes: 2, gets: 3 })
  })

  it('fails over when the leading service is killed: one new connection, subscriptions restored, the killed one back', async () => {
    const back = nextState(manager, leader.service, 'running')
    const killedPid = manager.service(leader.service).pid // a service's own pid is its PID namespace's: compare the manager's
    manager.kill(leader.service)
    await logged(manager, 'feed', 'connection #1 closed')
    await feedSubscribed(2)
    expect(await stats()).toMatchObject({ live: 1, opened: 2 })
    await back

    // Exactly one leader again, whoever won: survivors usually re-elect within milliseconds, long before the killed
    // service has restarted, but nothing guarantees that order, so the test does not depend on it.
    const after = await roles()
    oneLeader(after)
    expect(after.some((r) => r.service === leader.service)).toBe(true)
    expect(manager.service(leader.service).pid).not.toBe(killedPid)

    await manager.call('pricer', 'quote', 'ACME', 130)
    await everyoneSaw('prices', { symbol: 'ACME', price: 130 })
    await everyoneSaw('alerts', { symbol: 'ACME', price: 130, threshold: 100 }, ['auditor'])
    expect(await stats()).toMatchObject({ live: 1, opened: 2, connections: [{ id: 2, topics: ['alerts', 'prices'] }] })
  })
})
