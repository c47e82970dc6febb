// Calls across hosts that skip both managers (issue 25's call cost): services with NATS users of their own
// (manifest `nats`) call a `direct: true` service on another host straight over NATS. Against a nats-server of this
// file's own configured as docs/cluster.md tells operators — one user per host, one per service — what is proved:
// after the first (relayed) call, calls go on the service's own subject and are balanced over the hosts that run
// it; a service cannot speak as another (NATS refuses the subject), nor as a host; a service the manifest does not
// let call the target is refused by the target, coded; a message over max_payload is refused, coded; and a reload of
// the target loses no call.

import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { NatsConnection } from 'nats'
import { connectNats } from '../../src/cluster/nats-buckets.js'
import { ServiceNats } from '../../src/cluster/service-nats.js'
import { natsForTests, OwnNats } from '../../../../test-support/nats.js'
import { ClusterHost } from '../../../../test-support/cluster-host.js'

const enabled = await natsForTests('the tests of calls over services\' own NATS users')
const describeNats = enabled ? describe : describe.skip
const C = `sn${process.pid}`
const MAX_PAYLOAD = 64 * 1024

const host = (name: string) => `{ user: host-${name}, password: p${name}, permissions: {
    publish: { allow: ["svc.${C}.call.*.${name}", "svc.${C}.event.*.${name}", "svc.${C}.down.${name}", "svc.${C}.logs.*",
                       "svc.${C}.change.*", "_INBOX.>", "$JS.API.>", "$KV.svc-${C}-hosts.${name}", "$KV.svc-${C}-leases.>"] },
    subscribe: { allow: ["svc.${C}.>", "_INBOX.>"] },
    allow_responses: true } }`
// What docs/cluster.md gives a service: calls only as itself, its own subject, its own replies.
const service = (name: string) => `{ user: svc-${name}, password: p${name}, permissions: {
    publish: { allow: ["svc.${C}.direct.*.${name}"] },
    subscribe: { allow: ["svc.${C}.direct.${name}.*", "svc.${C}.inbox.${name}.>"] },
    allow_responses: true } }`
const CONFIG = `max_payload: ${MAX_PAYLOAD}
authorization { users = [ ${['a', 'b', 'c'].map(host).join(', ')}, ${['client', 'store', 'intruder'].map(service).join(', ')},
  { user: observer, password: pobserver } ] }
`

describeNats('calls across hosts over the services\' own NATS users', () => {
  let server: OwnNats
  let observer: NatsConnection
  const seen: string[] = [] // every subject published under svc.<cluster>, as the observer saw them
  const hosts: ClusterHost[] = []
  const dirs: string[] = []
  const userUrl = (user: string) => server.url.replace('nats://', `nats://${user}:p${user.replace(/^(svc|host)-/, '')}@`)

  const manifest = () => ({
    cluster: { name: C, nats: '' }, // each host's own user: set per host below
    services: {
      store: { entry: './cluster/node.ts', direct: true, placement: { hosts: ['b', 'c'] }, instances: 2, nats: userUrl('svc-store') },
      client: { entry: './cluster/node.ts', dependsOn: ['store'], config: { next: 'store' }, placement: { hosts: ['a'] }, nats: userUrl('svc-client') },
    },
  })

  const start = async (name: string) => {
    const dir = mkdtempSync(join(tmpdir(), `svc-host-${name}-`))
    dirs.push(dir)
    const m = manifest()
    const h = new ClusterHost(name, { ...m, cluster: { name: C, nats: userUrl(`host-${name}`) } }, dir)
    hosts.push(h)
    return h
  }

  beforeAll(async () => {
    server = await OwnNats.start(CONFIG)
    observer = await connectNats(userUrl('observer'), 'observer')
    observer.subscribe(`svc.${C}.>`, { callback: (_, msg) => seen.push(msg.subject) })
    await observer.flush()
  })
  afterEach(async () => {
    for (const h of hosts.splice(0)) await h.stop()
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
  }, 30_000)
  afterAll(async () => {
    await observer?.close()
    await server?.destroy()
  })

  const count = (subject: string) => seen.filter((s) => s === subject).length

  test('after its first call the client calls the store on its own subject, balanced over its processes; hostile users get nowhere', async () => {
    const [a, b, c] = [await start('a'), await start('b'), await start('c')]
    await Promise.all([a, b, c].map((h) => h.until((l) => l.ready === true)))

    const store = ((await a.ask({ services: true })) as { name: string; instances: { host: string }[] }[]).find((s) => s.name === 'store')!
    const storeHosts = new Set(store.instances.map((i) => i.host))
    // Sequential calls: the first ones are relayed (host a's manager to b's or c's) while the channel opens.
    const answers: string[] = []
    for (let i = 0; i < 40; i++) answers.push((await a.call('client', 'chain', `x${i}`)) as string)
    expect(answers.every((x, i) => /^client@a>store@[bc]:x\d+$/.test(x) && x.endsWith(`:x${i}`))).toBe(true)
    // NATS balances over the store's processes (both on one host when that host came up first and took both slots).
    expect(new Set(answers.map((x) => x.match(/store@(.)/)![1]))).toEqual(storeHosts)
    await observer.flush()
    const direct = count(`svc.${C}.direct.store.client`)
    const relayed = count(`svc.${C}.call.store.a`)
    expect(direct + relayed).toBe(40)
    expect(direct).toBeGreaterThanOrEqual(35)

    // A process holding the client's user cannot call as another service: NATS refuses the subject, nothing is sent.
    const asClient = await connectNats(userUrl('svc-client'), 'hostile', null, { inboxPrefix: `svc.${C}.inbox.client` })
    await expect(asClient.request(`svc.${C}.direct.store.admin`, '{"method":"where","args":[]}', { timeout: 1000 })).rejects.toMatchObject({ code: 'PERMISSIONS_VIOLATION' })
    // What it may send as itself but is not a call is refused, coded, and the store carries on.
    for (const junk of ['not json', '{"method":42,"args":[]}', '{"method":"where"}', '[]']) {
      const reply = JSON.parse(new TextDecoder().decode((await asClient.request(`svc.${C}.direct.store.client`, junk, { timeout: 2000 })).data))
      expect(reply).toMatchObject({ ok: false, error: { code: 'SVC_ERR_PROTOCOL' } })
    }
    // … nor as a host: closing the whole cluster is not its to say.
    asClient.publish(`svc.${C}.down.a`)
    await asClient.flush()
    await asClient.close()
    // A service with a user of its own whom the manifest does not let call the store: the store refuses it, coded.
    const intruder = await ServiceNats.connect('intruder', { url: userUrl('svc-intruder'), cluster: C, callers: [] })
    await expect(intruder.request('store', 'where', [], 2000, undefined)).rejects.toMatchObject({ code: 'SVC_ERR_ACCESS_DENIED', message: expect.stringContaining('"intruder" may not call "store"') })
    await intruder.close()
    await observer.flush()
    expect(count(`svc.${C}.direct.store.admin`)).toBe(0)
    expect(count(`svc.${C}.down.a`)).toBe(0)
    expect(await a.call('client', 'chain', 'still')).toMatch(/^client@a>store@[bc]:still$/)

    // Over max_payload: refused at once in the client, coded, and the client carries on.
    await expect(a.call('client', 'chain', 'y'.repeat(MAX_PAYLOAD))).rejects.toMatchObject({ code: 'SVC_ERR_MESSAGE_TOO_LARGE' })
    expect(await a.call('client', 'chain', 'small')).toMatch(/:small$/)
  }, 60_000)

  test('a reload of the store on both hosts: not one call fails (an instance that closes stops taking calls first and answers those it took), and calls go direct to the new processes', async () => {
    const [a, b, c] = [await start('a'), await start('b'), await start('c')]
    await Promise.all([a, b, c].map((h) => h.until((l) => l.ready === true)))
    for (let i = 0; i < 5; i++) await a.call('client', 'chain', 'warm')
    let reloading = true
    const failures: unknown[] = []
    let calls = 0
    const caller = (async () => {
      while (reloading) {
        await a.call('client', 'chain', `r${calls}`).catch((error: unknown) => failures.push(error))
        calls++
      }
    })()
    await b.ask({ reload: 'store' }, 30_000)
    reloading = false
    await caller
    expect(failures).toEqual([])
    expect(calls).toBeGreaterThan(10)
    await observer.flush()
    const before = count(`svc.${C}.direct.store.client`)
    for (let i = 0; i < 20; i++) expect(await a.call('client', 'chain', `n${i}`)).toMatch(new RegExp(`:n${i}$`))
    await observer.flush()
    expect(count(`svc.${C}.direct.store.client`) - before).toBeGreaterThanOrEqual(15)
  }, 60_000)
})
