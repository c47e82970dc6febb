// Several real processes sharing one upstream connection through @services-cluster/cluster-client (dist/).

import { afterEach, beforeEach, describe, expect, test } from '@jest/globals'
import { freePort, killAll, Member } from '../helpers/members.js'
import { UpstreamServer } from '../helpers/upstream-server.js'

let upstream: UpstreamServer
let members: Member[] = []
let port: number

beforeEach(async () => {
  upstream = await new UpstreamServer().start()
  port = await freePort()
})

afterEach(async () => {
  await killAll(members)
  members = []
  await upstream.stop()
})

async function spawn(n: number): Promise<Member[]> {
  const spawned = await Promise.all(Array.from({ length: n }, () => Member.spawn()))
  members.push(...spawned)
  return spawned
}

const create = (m: Member, options: Record<string, unknown> = {}) => m.call('create', { port, upstreamPort: upstream.port, options })

describe('three processes, one upstream connection', () => {
  test('exactly one leader and one upstream connection; invoke, subscribe and publish work from every process', async () => {
    const all = await spawn(3)
    // All three compete at once: the port decides.
    const states = (await Promise.all(all.map((m) => create(m)))).map((r) => r.state).sort()
    expect(states).toEqual(['follower', 'follower', 'leader'])
    expect(upstream.connections).toHaveLength(1)
    const leader = all.find((m) => m.events.some((e) => e.event === 'role' && e.state === 'leader'))!
    const followers = all.filter((m) => m !== leader)
    for (const f of followers) {
      expect((await f.waitEvent((e) => e.event === 'role')).leaderPid).toBe(leader.pid)
    }

    // invoke, promise and callback styles, from every process; all served by the one upstream connection.
    for (const m of all) {
      expect(await m.call('invoke', { method: 'echo', args: [{ from: m.pid, buf: 'x' }] })).toEqual({ from: m.pid, buf: 'x' })
      expect(await m.call('invokeCallback', { method: 'echoCallback', args: [`cb-${m.pid}`] })).toBe(`cb-${m.pid}`)
      expect(await m.call('invoke', { method: 'whoami' })).toEqual({ conn: upstream.connections[0] })
    }
    // Errors from upstream keep their message and code across the wire.
    const failed = await followers[0]!.send('invoke', { method: 'fail', args: ['nope'] })
    expect(failed).toMatchObject({ ok: false, error: { message: 'nope', code: 'E_UPSTREAM' } })

    // invokeOneway from a follower reaches upstream.
    await followers[1]!.call('invokeOneway', { method: 'fire', args: ['one-way'] })
    await upstream.waitFor<{ method: string; args: unknown[] }>('call', (c) => c.method === 'echo' && c.args[0] === 'one-way', upstream.calls)

    // subscribe from every process: one upstream subscribe for the topic.
    upstream.push('config', 1)
    for (const m of all) await m.call('subscribe', { topic: 'config' })
    for (const m of all) await m.waitEvent((e) => e.event === 'data' && e.topic === 'config' && e.value === 1)
    upstream.push('config', 2)
    for (const m of all) await m.waitEvent((e) => e.event === 'data' && e.topic === 'config' && e.value === 2)
    expect(upstream.subscribes).toEqual([{ conn: upstream.connections[0], topic: 'config' }])

    // A late subscriber (a new topic subscribed by the leader first, then a follower) gets the latest value at once.
    await leader.call('subscribe', { topic: 'feed' })
    upstream.push('feed', 'latest')
    await leader.waitEvent((e) => e.event === 'data' && e.topic === 'feed' && e.value === 'latest')
    await followers[0]!.call('subscribe', { topic: 'feed' })
    await followers[0]!.waitEvent((e) => e.event === 'data' && e.topic === 'feed' && e.value === 'latest')
    expect(upstream.subscribesOn(upstream.connections[0]!)).toEqual(['config', 'feed'])

    // publish from a follower reaches upstream over the leader's connection.
    await followers[1]!.call('publish', { topic: 'registry', value: `svc@${followers[1]!.pid}` })
    const pub = await upstream.waitFor<{ conn: number; value: unknown }>('pub', () => true, upstream.publishes)
    expect(pub).toEqual({ conn: upstream.connections[0], topic: 'registry', value: `svc@${followers[1]!.pid}` })

    // The last unSubscribe anywhere ends the upstream subscription.
    await followers[0]!.call('unSubscribe', { topic: 'feed' })
    await leader.call('unSubscribe', { topic: 'feed' })
    await upstream.waitFor<{ topic: string }>('unsub', (u) => u.topic === 'feed', upstream.unsubscribes)
    expect(upstream.connections).toHaveLength(1)
  })
})

describe('failover', () => {
  test('kill -9 the leader: a new leader re-subscribes what followers had, in-flight invokes fail retryably, no follower hangs', async () => {
    const [old, a, b] = await spawn(3)
    await create(old!)
    expect(await old!.call('state')).toBe('leader')
    await Promise.all([create(a!), create(b!)])

    upstream.push('shared', 's1')
    upstream.push('only-b', 'b1')
    upstream.push('only-old', 'o1')
    await old!.call('subscribe', { topic: 'only-old' })
    await a!.call('subscribe', { topic: 'shared' })
    await b!.call('subscribe', { topic: 'shared' })
    await b!.call('subscribe', { topic: 'only-b' })
    await a!.waitEvent((e) => e.event === 'data' && e.topic === 'shared')
    await b!.waitEvent((e) => e.event === 'data' && e.topic === 'shared')
    await b!.waitEvent((e) => e.event === 'data' && e.topic === 'only-b')
    await b!.call('publish', { topic: 'registry', value: 'b-endpoint' })
    await upstream.waitFor('pub', () => true, upstream.publishes)

    // An invoke that upstream never answers is in flight when the leader dies.
    const inFlight = a!.send('invoke', { method: 'hang', args: [], options: {} })
    await upstream.waitFor<{ method: string }>('call', (c) => c.method === 'hang', upstream.calls)
    const eventsBefore = [a!.events.length, b!.events.length]

    const killedAt = Date.now()
    await old!.kill('SIGKILL')

    const lost = await inFlight
    expect(lost.ok).toBe(false)
    expect(lost.error).toMatchObject({ code: 'SVC_ERR_CC_LEADER_LOST', retryable: true })
    expect(lost.error!.message).toContain('"hang"')

    const [ra, rb] = await Promise.all([
      a!.waitEvent((e) => e.event === 'role', 10_000, eventsBefore[0]),
      b!.waitEvent((e) => e.event === 'role', 10_000, eventsBefore[1]),
    ])
    const electedIn = Date.now() - killedAt
    expect([ra!.state, rb!.state].sort()).toEqual(['follower', 'leader'])
    expect(electedIn).toBeLessThan(5000)
    const newLeader = ra!.state === 'leader' ? a! : b!
    const follower = newLeader === a ? b! : a!
    expect((ra!.state === 'follower' ? ra : rb)!.leaderPid).toBe(newLeader.pid)

    // The new leader opened the one new upstream connection and re-subscribed the followers' topics, once each.
    const conn2 = await upstream.waitFor<number>('connection', (c) => c !== upstream.connections[0], upstream.connections)
    expect(upstream.connections).toEqual([upstream.connections[0], conn2])
    // The dead leader's connection closes when the kernel's FIN reaches the server, which may come after the new one.
    const conn1 = upstream.connections[0]!
    if (upstream.live.has(conn1)) await upstream.waitFor<number>('disconnect', (c) => c === conn1)
    expect([...upstream.live]).toEqual([conn2])
    upstream.push('shared', 's2')
    upstream.push('only-b', 'b2')
    await a!.waitEvent((e) => e.event === 'data' && e.topic === 'shared' && e.value === 's2')
    await b!.waitEvent((e) => e.event === 'data' && e.topic === 'shared' && e.value === 's2')
    await b!.waitEvent((e) => e.event === 'data' && e.topic === 'only-b' && e.value === 'b2')
    expect(upstream.subscribesOn(conn2).sort()).toEqual(['only-b', 'shared'])
    // What b published is published again on the new connection (registry semantics).
    await upstream.waitFor<{ conn: number }>('pub', (p) => p.conn === conn2, upstream.publishes)

    // Nobody hangs: both survivors invoke through the new upstream connection.
    expect(await newLeader.call('invoke', { method: 'whoami' })).toEqual({ conn: conn2 })
    expect(await follower.call('invoke', { method: 'whoami' })).toEqual({ conn: conn2 })
    expect(await follower.call('invokeCallback', { method: 'echoCallback', args: ['after'] })).toBe('after')
  })

  test('graceful close of the leader hands over too', async () => {
    const [old, next] = await spawn(2)
    await create(old!)
    await create(next!)
    await next!.call('subscribe', { topic: 't' })
    const from = next!.events.length
    await old!.call('close')
    const role = await next!.waitEvent((e) => e.event === 'role', 10_000, from)
    expect(role.state).toBe('leader')
    expect(await next!.call('invoke', { method: 'echo', args: [1] })).toBe(1)
    await upstream.waitFor<{ conn: number; topic: string }>('sub', (s) => s.conn === upstream.connections[1] && s.topic === 't', upstream.subscribes)
    // The old leader closed its upstream connection before letting the port go.
    await upstream.waitFor<number>('disconnect', (c) => c === upstream.connections[0], upstream.connections.filter((c) => !upstream.live.has(c)))
    expect([...upstream.live]).toEqual([upstream.connections[1]])
  })
})
