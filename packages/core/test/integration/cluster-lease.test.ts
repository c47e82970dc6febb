// The two primitives the multi-host graph (issue 25) stands on, against a real nats-server with JetStream: which
// hosts are up (cluster/membership.ts) and who runs a singleton (cluster/lease.ts). The lease is attacked the way
// hosts fail: a holder killed with SIGKILL, one frozen with SIGSTOP past its TTL and woken, and NATS restarting.

import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals'
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { NatsConnection } from 'nats'
import { HeldLeases, Lease } from '../../src/cluster/lease.js'
import { Membership } from '../../src/cluster/membership.js'
import { bucketName, connectNats, openBucket } from '../../src/cluster/nats-buckets.js'
import { deleteClusterBuckets, NATS_URL, natsForTests, OwnNats } from '../../../../test-support/nats.js'

const HOLDER = fileURLToPath(new URL('../fixtures/cluster/mini-host.mjs', import.meta.url))
const TTL = 1000
const enabled = await natsForTests('the cluster lease and membership tests')
const describeNats = enabled ? describe : describe.skip

/** Every cluster a test makes on the shared NATS: its buckets are deleted once the file is done (values expire by
 * themselves; JetStream keeps the streams behind the buckets until they are deleted). */
const clusters: string[] = []
const cluster = (): string => {
  const name = `t${process.pid}-${randomBytes(3).toString('hex')}`
  clusters.push(name)
  return name
}
const children: ChildProcess[] = []
let nc: NatsConnection | undefined
const observers: Membership[] = []

/** A holder process: its report lines, in order, as they come. */
function holder(url: string, name: string, key: string, id: string, ttlMs = TTL): { child: ChildProcess; next: () => Promise<{ held?: number; lost?: string }> } {
  const child = spawn(process.execPath, [HOLDER, url, name, key, id, String(ttlMs)], { stdio: ['ignore', 'pipe', 'inherit'] })
  children.push(child)
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]()
  return {
    child,
    next: async () => {
      const line = await lines.next()
      if (line.done) throw new Error(`host ${id} exited (${child.exitCode ?? child.signalCode}) before reporting`)
      return JSON.parse(line.value as string)
    },
  }
}

afterAll(async () => {
  if (enabled) await deleteClusterBuckets(clusters)
})

afterEach(async () => {
  for (const m of observers.splice(0)) await m.leave()
  for (const child of children.splice(0)) {
    child.kill('SIGCONT')
    child.kill('SIGKILL')
  }
  await nc?.close()
  nc = undefined
})

describeNats('membership (real NATS at NATS_URL)', () => {
  test('hosts that join are listed; one that leaves is gone at once; one killed is gone after the TTL', async () => {
    nc = await connectNats(NATS_URL, 'test')
    const name = cluster()
    const hosts = ['a', 'b', 'c'].map((h) => holder(NATS_URL, name, 'checker', h))
    const observer = await Membership.join(nc, name, 'observer', TTL)
    observers.push(observer)
    const up = async (): Promise<string[]> => (await observer.hosts()).map((h) => h.host)
    while ((await up()).length < 4) await new Promise((r) => setTimeout(r, 20))
    // Garbage in the bucket (not JSON; an entry naming another host) is not a host and hides none of the others.
    const kv = await openBucket(nc, bucketName(name, 'hosts'), TTL)
    await kv.put('junk', 'not json')
    await kv.put('liar', JSON.stringify({ host: 'a', pid: 1, since: 0 }))
    await nc.flush()
    expect(await up()).toEqual(['a', 'b', 'c', 'observer'])
    hosts[1]!.child.kill('SIGTERM')
    await new Promise((r) => hosts[1]!.child.once('exit', r))
    expect(await up()).toEqual(['a', 'c', 'observer'])
    const killedAt = performance.now()
    hosts[2]!.child.kill('SIGKILL')
    while ((await up()).includes('c')) await new Promise((r) => setTimeout(r, 50))
    const gone = performance.now() - killedAt
    expect(gone).toBeLessThan(TTL * 3)
    expect(await up()).toEqual(['a', 'observer'])
    process.stdout.write(`membership: a host killed with SIGKILL was gone from the list after ${Math.round(gone)} ms (TTL ${TTL} ms)\n`)
  })
})

describeNats('lease (real NATS at NATS_URL)', () => {
  test('of three contenders exactly one holds it; released, the next holder has a higher token', async () => {
    nc = await connectNats(NATS_URL, 'test')
    const kv = await openBucket(nc, bucketName(cluster(), 'leases'), TTL)
    const got = await Promise.all(['a', 'b', 'c'].map((h) => Lease.acquire(kv, 'checker', h, TTL)))
    const holders = got.filter((l): l is Lease => l !== null)
    expect(holders).toHaveLength(1)
    const first = holders[0]!
    expect(first.held).toBe(true)
    // Renewed past several TTLs, it is still held and no one else can take it.
    await new Promise((r) => setTimeout(r, TTL * 2))
    expect(first.held).toBe(true)
    expect(await Lease.acquire(kv, 'checker', 'b', TTL)).toBeNull()
    const token = first.token
    await first.release()
    const next = await Lease.acquire(kv, 'checker', 'b', TTL)
    expect(next?.token).toBeGreaterThan(token)
    await next!.release()
  })

  test("shared on its host (a reload's replacement): another host cannot take it while either use holds it; released by the last", async () => {
    nc = await connectNats(NATS_URL, 'test')
    const kv = await openBucket(nc, bucketName(cluster(), 'leases'), TTL)
    const here = new HeldLeases((key) => Lease.acquire(kv, key, 'a', TTL))
    const old = (await here.acquire('api.0'))!
    const fresh = (await here.acquire('api.0'))! // the replacement, while the old instance still holds it
    expect([old.held, fresh.held, here.holds('api.0')]).toEqual([true, true, true])
    const lost: string[] = []
    old.onLost(() => lost.push('old'))
    fresh.onLost(() => lost.push('fresh'))
    await old.release() // the old instance closed: the replacement still holds the slot
    expect([old.held, fresh.held]).toEqual([false, true])
    expect(await Lease.acquire(kv, 'api.0', 'b', TTL)).toBeNull()
    await fresh.release()
    expect(here.holds('api.0')).toBe(false)
    const other = await Lease.acquire(kv, 'api.0', 'b', TTL) // released in NATS: another host takes it at once
    expect(other).not.toBeNull()
    // Held elsewhere: this host gets no share of it.
    expect(await here.acquire('api.0')).toBeNull()
    await other!.release()
    expect(lost).toEqual([]) // a use that let go is not told of a later loss
  })

  test('a holder killed with SIGKILL: another takes the lease once the TTL has passed, with a higher token', async () => {
    const name = cluster()
    const a = holder(NATS_URL, name, 'checker', 'a')
    const aHeld = (await a.next()).held!
    const b = holder(NATS_URL, name, 'checker', 'b')
    const killedAt = performance.now()
    a.child.kill('SIGKILL')
    const bHeld = (await b.next()).held!
    const took = performance.now() - killedAt
    expect(bHeld).toBeGreaterThan(aHeld)
    expect(took).toBeGreaterThan(TTL / 3) // not before a's last write could have expired
    process.stdout.write(`lease: taken over ${Math.round(took)} ms after its holder's SIGKILL (TTL ${TTL} ms)\n`)
  })

  test('a holder frozen past the TTL reports the lease lost on waking, and does not take it back from the new holder', async () => {
    const name = cluster()
    const a = holder(NATS_URL, name, 'checker', 'a')
    const aHeld = (await a.next()).held!
    const b = holder(NATS_URL, name, 'checker', 'b')
    a.child.kill('SIGSTOP')
    const bHeld = (await b.next()).held!
    expect(bHeld).toBeGreaterThan(aHeld)
    a.child.kill('SIGCONT')
    expect((await a.next()).lost).toMatch(/frozen|another holder/)
    // b keeps it through several renewals: a is contending again but cannot create the key.
    nc = await connectNats(NATS_URL, 'test')
    const kv = await openBucket(nc, bucketName(name, 'leases'), TTL)
    await new Promise((r) => setTimeout(r, TTL * 2))
    const entry = await kv.get('checker')
    expect(entry?.string()).toBe('b')
    expect(entry!.revision).toBeGreaterThan(bHeld) // b renewed it
  })
})

describeNats('lease across a NATS restart (a nats-server of its own)', () => {
  let server: OwnNats
  beforeAll(async () => {
    server = await OwnNats.start()
  })
  afterAll(async () => {
    for (const child of children.splice(0)) child.kill('SIGKILL')
    await server.destroy()
  })

  test('restarted within the TTL, NATS neither doubles nor loses the lease', async () => {
    // A TTL that a JetStream restart on a loaded machine stays well inside (its store is read back on start).
    const ttl = 5000
    const name = cluster()
    const a = holder(server.url, name, 'checker', 'a', ttl)
    const aHeld = (await a.next()).held!
    holder(server.url, name, 'checker', 'b', ttl)
    await server.stop()
    await server.restart()
    nc = await connectNats(server.url, 'test')
    const kv = await openBucket(nc, bucketName(name, 'leases'), ttl)
    // Wait for a write after the restart: a's renewal, or b's taking it (which must not happen).
    let entry = await kv.get('checker')
    while (entry?.revision === aHeld) {
      await new Promise((r) => setTimeout(r, 100))
      entry = await kv.get('checker')
    }
    expect(entry?.string()).toBe('a')
    expect(entry!.revision).toBeGreaterThan(aHeld)
  })

  test('NATS away longer than the TTL: the holder reports the lease lost by its own clock, not after a request timeout', async () => {
    const a = holder(server.url, cluster(), 'checker', 'a')
    await a.next()
    await server.stop() // (a server with streams to flush takes a while to exit: the clock starts once it has)
    const stoppedAt = performance.now()
    expect((await a.next()).lost).toMatch(/not renewed within/)
    const after = performance.now() - stoppedAt
    expect(after).toBeLessThan(TTL * 2) // the JetStream request timeout (5 s) would be far past it
    process.stdout.write(`lease: reported lost ${Math.round(after)} ms after NATS went away (TTL ${TTL} ms)\n`)
    await server.restart()
    expect((await a.next()).held).toBeGreaterThan(0) // taken again once NATS is back
  })
})
