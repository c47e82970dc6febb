// Calls between hosts over NATS (cluster/nats-calls.ts), against real nats-servers: bytes and identity across,
// errors coded, NATS balancing a service over the hosts that serve it, and the calling host's identity enforced by
// NATS permissions — a host cannot call as another, and a process without credentials cannot call at all.

import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals'
import { randomBytes } from 'node:crypto'
import type { NatsConnection } from 'nats'
import { callOverNats, serveCalls, type IncomingCall } from '../../src/cluster/nats-calls.js'
import { Lease } from '../../src/cluster/lease.js'
import { Membership } from '../../src/cluster/membership.js'
import { bucketName, connectNats, openBucket } from '../../src/cluster/nats-buckets.js'
import { NATS_URL, natsForTests, OwnNats } from '../../../../test-support/nats.js'

const enabled = await natsForTests('the cross-host call tests')
const describeNats = enabled ? describe : describe.skip
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)
const text = (b: Uint8Array | { bytes: Uint8Array }): string => new TextDecoder().decode(b instanceof Uint8Array ? b : b.bytes)

const connections: NatsConnection[] = []
async function host(name: string, url = NATS_URL, credentials?: { user: string; pass: string }): Promise<NatsConnection> {
  const nc = await connectNats(credentials ? url.replace('nats://', `nats://${credentials.user}:${credentials.pass}@`) : url, name)
  connections.push(nc)
  return nc
}
afterEach(async () => {
  for (const nc of connections.splice(0)) await nc.close()
})

describeNats('calls across hosts (real NATS at NATS_URL)', () => {
  const cluster = `t${randomBytes(3).toString('hex')}`

  test('arguments and result cross as bytes, with the calling host and service; errors come back coded', async () => {
    const a = await host('a')
    const b = await host('b')
    const seen: IncomingCall[] = []
    serveCalls(b, cluster, 'store.v2', async (call) => {
      seen.push(call)
      if (call.method === 'fail') throw Object.assign(new Error('no such node'), { code: 'NODE_MISSING' })
      return bytes(`got ${text(call.args)}`)
    })
    await b.flush()
    const call = { fromHost: 'a', from: 'checker', to: 'store.v2', timeoutMs: 2000 }
    const trace = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
    expect(text(await callOverNats(a, cluster, { ...call, method: 'get', args: bytes('[1]'), traceparent: trace }))).toBe('got [1]')
    expect(seen[0]).toMatchObject({ fromHost: 'a', from: 'checker', method: 'get', traceparent: trace })
    await expect(callOverNats(a, cluster, { ...call, method: 'fail', args: bytes('[]') })).rejects.toMatchObject({ code: 'NODE_MISSING', message: 'no such node' })
  })

  test('no host runs the service: SVC_ERR_SERVICE_NOT_RUNNING; no answer in time: SVC_ERR_CALL_TIMEOUT; too large: refused unsent', async () => {
    const a = await host('a')
    const b = await host('b')
    const call = { fromHost: 'a', from: 'checker', method: 'get', args: bytes('[]'), timeoutMs: 300 }
    await expect(callOverNats(a, cluster, { ...call, to: 'nobody' })).rejects.toMatchObject({ code: 'SVC_ERR_SERVICE_NOT_RUNNING', service: 'nobody' })
    serveCalls(b, cluster, 'stuck', () => new Promise(() => {}))
    await b.flush()
    await expect(callOverNats(a, cluster, { ...call, to: 'stuck' })).rejects.toMatchObject({ code: 'SVC_ERR_CALL_TIMEOUT', service: 'stuck' })
    const huge = new Uint8Array(a.info!.max_payload + 1)
    await expect(callOverNats(a, cluster, { ...call, to: 'stuck', args: huge })).rejects.toMatchObject({ code: 'SVC_ERR_MESSAGE_TOO_LARGE' })
    // A result too large for NATS comes back as that error, coded, and the serving host keeps serving.
    serveCalls(b, cluster, 'bloated', async (c) => (c.method === 'big' ? huge : bytes('small')))
    await b.flush()
    await expect(callOverNats(a, cluster, { ...call, to: 'bloated', method: 'big' })).rejects.toMatchObject({ code: 'SVC_ERR_MESSAGE_TOO_LARGE', service: 'bloated' })
    expect(text(await callOverNats(a, cluster, { ...call, to: 'bloated', method: 'small' }))).toBe('small')
  })

  test('a service on two hosts: NATS balances its calls over them, and each call is answered once', async () => {
    const a = await host('a')
    const served: Record<string, number> = { b: 0, c: 0 }
    for (const name of ['b', 'c']) {
      const nc = await host(name)
      serveCalls(nc, cluster, 'gateway', async () => {
        served[name]!++
        return bytes(name)
      })
      await nc.flush()
    }
    const answers = await Promise.all(Array.from({ length: 40 }, () => callOverNats(a, cluster, { fromHost: 'a', from: 'x', to: 'gateway', method: 'm', args: bytes('[]'), timeoutMs: 2000 })))
    expect(served.b! + served.c!).toBe(40)
    expect(served.b).toBeGreaterThan(0)
    expect(served.c).toBeGreaterThan(0)
    expect(answers.map(text).filter((n) => n === 'b')).toHaveLength(served.b!)
  })
})

describeNats('the calling host is who NATS says it is (a nats-server with one user per host)', () => {
  const cluster = 'prod'
  // What docs/cluster.md tells operators to configure: each host publishes calls only under its own id, and
  // answers only the requests it received.
  const user = (name: string): string =>
    `{ user: ${name}, password: p${name}, permissions: {
        publish: { allow: ["svc.${cluster}.call.*.${name}", "svc.${cluster}.event.*.${name}", "$JS.API.>", "$KV.svc-${cluster}-hosts.${name}", "$KV.svc-${cluster}-leases.>"] },
        subscribe: { allow: ["svc.${cluster}.>", "_INBOX.>"] },
        allow_responses: true } }`
  let server: OwnNats
  beforeAll(async () => {
    server = await OwnNats.start(`authorization { users = [ ${user('a')}, ${user('b')} ] }\n`)
  })
  afterAll(async () => {
    await server.destroy()
  })

  test('host a can call as a, not as b; the server never sees the forged call; no credentials, no connection', async () => {
    const a = await host('a', server.url, { user: 'a', pass: 'pa' })
    const b = await host('b', server.url, { user: 'b', pass: 'pb' })
    const seen: string[] = []
    serveCalls(b, cluster, 'store', async (call) => {
      seen.push(call.fromHost)
      return bytes('ok')
    })
    await b.flush()
    const call = { from: 'checker', to: 'store', method: 'get', args: bytes('[]'), timeoutMs: 1000 }
    expect(text(await callOverNats(a, cluster, { ...call, fromHost: 'a' }))).toBe('ok')
    await expect(callOverNats(a, cluster, { ...call, fromHost: 'b' })).rejects.toMatchObject({ code: 'SVC_ERR_ACCESS_DENIED' })
    expect(seen).toEqual(['a'])
    // The same credentials carry the host's membership and leases, under its own name only.
    const membership = await Membership.join(a, cluster, 'a', 1000)
    const lease = await Lease.acquire(await openBucket(a, bucketName(cluster, 'leases'), 1000), 'checker', 'a', 1000)
    expect(lease?.held).toBe(true)
    expect((await membership.hosts()).map((h) => h.host)).toEqual(['a'])
    await expect(openBucket(a, bucketName(cluster, 'hosts'), 1000).then((kv) => kv.put('b', '{}'))).rejects.toThrow()
    await lease!.release()
    await membership.leave()
    await expect(connectNats(server.url, 'a service process')).rejects.toMatchObject({ code: 'SVC_ERR_CLUSTER_UNREACHABLE' })
    // A wrong password is refused too, and never printed.
    const refused = await connectNats(server.url.replace('nats://', 'nats://a:s3cret@'), 'a').catch((e: Error) => e)
    expect(refused).toMatchObject({ code: 'SVC_ERR_CLUSTER_UNREACHABLE' })
    expect((refused as Error).message).not.toContain('s3cret')
  })
})
