// Calls across hosts that skip both managers (issue 25's call cost): services with NATS users of their own
// (manifest `nats`) call a `direct: true` service on another host straight over NATS. Against a nats-server of this
// file's own configured as docs/cluster.md tells operators — one user per host, one per service — what is proved:
// after the first (relayed) call, calls go on the subjects of the target's instances, spread over them; a service
// cannot speak as another (NATS refuses the subject), nor as a host; a service the manifest does not let call the
// target is refused by the target, coded, as is what is not a call; a message over max_payload is refused, coded; a
// reload of the target loses no call; and a call in flight to a target process that is killed fails as a relayed
// one would (SVC_ERR_SERVICE_CLOSED), not at its timeout. The hosts run the whole graph holding only the permissions
// docs/cluster.md gives them.

import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
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
    publish: { allow: ["svc.${C}.direct.*.*.${name}"] },
    subscribe: { allow: ["svc.${C}.direct.${name}.>", "svc.${C}.inbox.${name}.>"] },
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

  const spread = () => ({
    store: { entry: './cluster/node.ts', direct: true, placement: { hosts: ['b', 'c'] }, instances: 2, nats: userUrl('svc-store') },
    client: { entry: './cluster/node.ts', dependsOn: ['store'], config: { next: 'store' }, placement: { hosts: ['a'] }, nats: userUrl('svc-client') },
  })

  /** A host holding its own NATS user, running `services`. */
  const start = (name: string, services: object = spread()) => {
    const dir = mkdtempSync(join(tmpdir(), `svc-host-${name}-`))
    dirs.push(dir)
    const h = new ClusterHost(name, { cluster: { name: C, nats: userUrl(`host-${name}`) }, services }, dir)
    hosts.push(h)
    return h
  }
  const storeInstances = async (h: ClusterHost) =>
    ((await h.ask({ services: true })) as { name: string; instances: { host: string; index: number; pid: number | null }[] }[]).find((s) => s.name === 'store')!.instances

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
  /** Calls from the client to the store that went on the store's instance subjects. */
  const direct = () => seen.filter((s) => s.startsWith(`svc.${C}.direct.store.`) && s.endsWith('.client')).length

  test("after its first call the client calls the store on its instances' subjects, spread over them; hostile users get nowhere", async () => {
    const [a, b, c] = [start('a'), start('b'), start('c')]
    await Promise.all([a, b, c].map((h) => h.until((l) => l.ready === true)))
    const store = await storeInstances(a)
    const storeHosts = new Set(store.map((i) => i.host))
    // Sequential calls: the first ones are relayed (host a's manager to b's or c's) while the channel opens.
    const answers: string[] = []
    for (let i = 0; i < 40; i++) answers.push((await a.call('client', 'chain', `x${i}`)) as string)
    expect(answers.every((x, i) => /^client@a>store@[bc]:x\d+$/.test(x) && x.endsWith(`:x${i}`))).toBe(true)
    // Spread over the store's instances (both on one host when that host came up first and took both slots).
    expect(new Set(answers.map((x) => x.match(/store@(.)/)![1]))).toEqual(storeHosts)
    await observer.flush()
    const relayed = count(`svc.${C}.call.store.a`)
    expect(direct() + relayed).toBe(40)
    expect(direct()).toBeGreaterThanOrEqual(35)
    for (const { host, index } of store) expect(count(`svc.${C}.direct.store.${host}-${index}.client`)).toBeGreaterThan(5)
    const own = `svc.${C}.direct.store.${store[0]!.host}-${store[0]!.index}`

    // A process holding the client's user cannot call as another service: NATS refuses the subject, nothing is sent.
    const asClient = await connectNats(userUrl('svc-client'), 'hostile', null, { inboxPrefix: `svc.${C}.inbox.client` })
    await expect(asClient.request(`${own}.admin`, '{"method":"where","args":[]}', { timeout: 1000 })).rejects.toMatchObject({ code: 'PERMISSIONS_VIOLATION' })
    // What it may send as itself but is not a call is refused, coded, and the store carries on.
    for (const junk of ['not json', '{"method":42,"args":[]}', '{"method":"where"}', '[]']) {
      const reply = JSON.parse(new TextDecoder().decode((await asClient.request(`${own}.client`, junk, { timeout: 2000 })).data))
      expect(reply).toMatchObject({ ok: false, error: { code: 'SVC_ERR_PROTOCOL' } })
    }
    // Nor can it listen on the store's subjects to answer first with a forged result: NATS refuses the subscription.
    const refused: Error[] = []
    asClient.subscribe(`svc.${C}.direct.store.>`, {
      callback: (error, msg) => (error ? refused.push(error) : msg.respond(new TextEncoder().encode('{"ok":true,"value":"forged"}'))),
    })
    await asClient.flush()
    while (refused.length === 0) await new Promise((resolve) => setTimeout(resolve, 10))
    expect(refused[0]).toMatchObject({ code: 'PERMISSIONS_VIOLATION' })
    for (let i = 0; i < 10; i++) expect(await a.call('client', 'chain', `f${i}`)).toMatch(new RegExp(`^client@a>store@[bc]:f${i}$`))
    // … nor as a host: closing the whole cluster is not its to say.
    asClient.publish(`svc.${C}.down.a`)
    await asClient.flush()
    await asClient.close()
    // A service with a user of its own whom the manifest does not let call the store: the store refuses it, coded.
    const intruder = await ServiceNats.connect('intruder', { url: userUrl('svc-intruder'), cluster: C, callers: [] })
    await expect(intruder.request(`${own}.intruder`, 'store', 'where', [], 2000, undefined)).rejects.toMatchObject({ code: 'SVC_ERR_ACCESS_DENIED', message: expect.stringContaining('"intruder" may not call "store"') })
    await intruder.close()
    await observer.flush()
    expect(count(`${own}.admin`)).toBe(0)
    expect(count(`svc.${C}.down.a`)).toBe(0)
    expect(await a.call('client', 'chain', 'still')).toMatch(/^client@a>store@[bc]:still$/)

    // Over max_payload: refused at once in the client, coded, and the client carries on.
    await expect(a.call('client', 'chain', 'y'.repeat(MAX_PAYLOAD))).rejects.toMatchObject({ code: 'SVC_ERR_MESSAGE_TOO_LARGE' })
    // A result over it: the store answers with that error instead, and serves on.
    await expect(a.call('client', 'ask', 'big', [MAX_PAYLOAD])).rejects.toMatchObject({ code: 'SVC_ERR_MESSAGE_TOO_LARGE', message: expect.stringContaining('The result of store.big') })
    expect(await a.call('client', 'chain', 'small')).toMatch(/:small$/)
  }, 60_000)

  test('a reload of the store on both hosts: not one call fails (an instance that closes stops taking calls first and answers those it took), and calls go direct to the new processes', async () => {
    const [a, b, c] = [start('a'), start('b'), start('c')]
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
    const before = direct()
    for (let i = 0; i < 20; i++) expect(await a.call('client', 'chain', `n${i}`)).toMatch(new RegExp(`:n${i}$`))
    await observer.flush()
    expect(direct() - before).toBeGreaterThanOrEqual(15)
  }, 60_000)

  test('a call in flight to a store process killed with SIGKILL fails with SVC_ERR_SERVICE_CLOSED, not at its timeout; once the store is back, calls go direct again', async () => {
    // The client may call the store but does not depend on it: no crash cascade closes it, so its own call must end.
    const services = {
      store: { entry: './cluster/node.ts', direct: true, placement: { hosts: ['b'] }, nats: userUrl('svc-store') },
      client: { entry: './cluster/node.ts', permissions: { calls: ['store'] }, config: { next: 'store' }, placement: { hosts: ['a'] }, nats: userUrl('svc-client') },
    }
    const [a, b] = [start('a', services), start('b', services)]
    await Promise.all([a, b].map((h) => h.until((l) => l.ready === true)))
    await a.until((l) => l.state?.service === 'store' && l.state.to === 'running')
    const opened = direct()
    while (direct() === opened) {
      await a.call('client', 'chain', 'warm')
      await observer.flush()
    }
    const [instance] = await storeInstances(b)
    const sent = direct()
    // The host process's own call to the client times out after 5 s (fixtures/cluster/host.mjs); the store would answer after 4.
    const inFlight = a.call('client', 'ask', 'slow', [4000]).catch((error: unknown) => error)
    while (direct() === sent) await observer.flush()
    const from = b.lines.length
    process.kill(instance!.pid!, 'SIGKILL')
    expect(await inFlight).toMatchObject({ code: 'SVC_ERR_SERVICE_CLOSED' })
    await b.reached('store', 'running', from)
    await a.until((l) => l.state?.service === 'store' && l.state.to === 'running', a.lines.findLastIndex((l) => l.state?.service === 'store' && l.state.to !== 'running'))
    const again = direct()
    for (let i = 0; i < 10; i++) expect(await a.call('client', 'chain', `m${i}`)).toMatch(new RegExp(`:m${i}$`))
    await observer.flush()
    expect(direct()).toBeGreaterThan(again)
  }, 60_000)

  test('a caller whose NATS user cannot reach NATS says so at start, and its calls are relayed and answered', async () => {
    const closed = createServer().listen(0, '127.0.0.1')
    await new Promise((resolve) => closed.once('listening', resolve))
    const { port } = closed.address() as { port: number }
    await new Promise((resolve) => closed.close(resolve))
    const services = {
      ...spread(),
      client: { ...spread().client, nats: `nats://svc-client:pclient@127.0.0.1:${port}` },
    }
    const [a, b, c] = [start('a', services), start('b', services), start('c', services)]
    await Promise.all([a, b, c].map((h) => h.until((l) => l.ready === true)))
    const before = direct()
    for (let i = 0; i < 10; i++) expect(await a.call('client', 'chain', `u${i}`)).toMatch(new RegExp(`^client@a>store@[bc]:u${i}$`))
    await observer.flush()
    expect(direct()).toBe(before)
    const lines = (await a.ask({ logs: ['client', 50] })) as { line: string }[]
    expect(lines.map((l) => l.line)).toContainEqual(expect.stringContaining('"client" cannot use its NATS user'))
  }, 60_000)
})
