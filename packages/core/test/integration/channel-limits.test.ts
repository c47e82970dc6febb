// The bounds of the service channel: message size, what a target that does not read may have queued (calls and
// events), and frames that are not the protocol.
import { afterEach, describe, expect, test } from '@jest/globals'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ProcessContainer, privateDir, type ContainerFactory, type EventDrop, type ServiceError, type ServicesManager } from '../../src/index.js'
import { MAX_QUEUED_BYTES } from '../../src/manager/router.js'
import { fixtureManager } from './harness.js'

let manager: ServicesManager | undefined
const dirs: string[] = []
afterEach(async () => {
  await manager?.close()
  manager = undefined
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

const TOO_LARGE = 513 // MiB: over the pipe's 512 MiB per message

describe('message size', () => {
  test('a call over the size limit fails its caller with SVC_ERR_MESSAGE_TOO_LARGE and does not kill it', async () => {
    manager = fixtureManager({ b: { entry: './big.ts' }, a: { entry: './big.ts', dependsOn: ['b'] } })
    await manager.start()
    const pid = manager.service('a').pid // the same process afterwards: it was not killed
    const outcome = (await manager.call('a', 'tryCall', 'b', 'echo', [], TOO_LARGE)) as { ok: boolean; code?: string; message?: string }
    expect(outcome).toMatchObject({ ok: false, code: 'SVC_ERR_MESSAGE_TOO_LARGE' })
    expect(outcome.message).toMatch(/Service "a": the arguments of b\.echo .* over the 512 MiB/)
    expect(manager.service('a')).toMatchObject({ state: 'running', pid })
    await expect(manager.call('a', 'tryCall', 'b', 'echo', ['still here'])).resolves.toEqual({ ok: true, size: 12 })
  })

  test('a reply over the size limit fails the call with SVC_ERR_MESSAGE_TOO_LARGE; the replying service survives', async () => {
    manager = fixtureManager({ b: { entry: './big.ts' }, a: { entry: './big.ts', dependsOn: ['b'] } })
    await manager.start()
    const pid = manager.service('b').pid
    const outcome = (await manager.call('a', 'tryCall', 'b', 'big', [TOO_LARGE])) as { ok: boolean; code?: string; message?: string }
    expect(outcome).toMatchObject({ ok: false, code: 'SVC_ERR_MESSAGE_TOO_LARGE' })
    expect(outcome.message).toMatch(/Service "b": the result of big /)
    await expect(manager.call('b', 'big', TOO_LARGE)).rejects.toMatchObject({ code: 'SVC_ERR_MESSAGE_TOO_LARGE', service: 'b' })
    expect(manager.service('b')).toMatchObject({ state: 'running', pid })
    expect(manager.service('a').state).toBe('running')
  })

  test('on a direct channel a call or a reply over its 64 MiB limit fails with SVC_ERR_MESSAGE_TOO_LARGE, not as a closed channel', async () => {
    manager = fixtureManager({ b: { entry: './big.ts', direct: true }, a: { entry: './big.ts', dependsOn: ['b'] } })
    await manager.start()
    // Open the direct channel: the first calls are relayed while it opens; once it is open the relay count stands still.
    let relayed = -1
    while (manager.service('b').calls.count !== relayed) {
      relayed = manager.service('b').calls.count
      await manager.call('a', 'tryCall', 'b', 'echo', [1])
    }
    const call = (await manager.call('a', 'tryCall', 'b', 'echo', [], 65)) as { code?: string; message?: string }
    expect(call).toMatchObject({ code: 'SVC_ERR_MESSAGE_TOO_LARGE', message: expect.stringMatching(/direct channel.* over the 64 MiB/) })
    const reply = (await manager.call('a', 'tryCall', 'b', 'big', [65])) as { code?: string; message?: string }
    expect(reply).toMatchObject({ code: 'SVC_ERR_MESSAGE_TOO_LARGE', message: expect.stringMatching(/Service "b": the result of big .* over the 64 MiB/) })
    expect(manager.service('b').calls.count).toBe(relayed) // neither went through the manager
    await expect(manager.call('a', 'tryCall', 'b', 'echo', ['ok'])).resolves.toEqual({ ok: true, size: 4 })
  })
})

describe('a target that does not read', () => {
  test('a call to a service that never reads its channel fails with SVC_ERR_OVERLOADED once its queue is full', async () => {
    manager = fixtureManager({ stuck: { entry: './busy.ts', stopTimeoutMs: 200 }, a: { entry: './big.ts', dependsOn: ['stuck'] } }, { callTimeoutMs: 60_000 })
    await manager.start()
    await manager.call('stuck', 'spin') // from now on its event loop never turns: it reads nothing more
    const KIB = 1024
    const limit = MAX_QUEUED_BYTES // the documented default, 16 MiB
    const payload = 'x'.repeat(100 * KIB)
    const refused: { index: number; error: ServiceError }[] = []
    const calls = Array.from({ length: 1000 }, (_, index) =>
      manager!.call('stuck', 'echo', payload).catch((error: ServiceError) => {
        if (error.code === 'SVC_ERR_OVERLOADED') refused.push({ index, error })
      }),
    )
    await calls.at(-1) // refused at once, not at its timeout
    expect(refused.length).toBeGreaterThan(0)
    const accepted = refused[0]!.index
    // Once full, the queue stays full: every later call is refused too.
    expect(refused.map((r) => r.index)).toEqual(Array.from({ length: 1000 - accepted }, (_, i) => accepted + i))
    // What was let through is the bound, give or take what the kernel's socket buffer took and one message.
    expect(accepted * 100 * KIB).toBeGreaterThanOrEqual(limit)
    expect(accepted * 100 * KIB).toBeLessThan(limit + 8 * KIB * KIB)
    const { error } = refused[0]!
    expect(error).toMatchObject({ service: 'stuck', details: { method: 'echo', limitBytes: limit } })
    expect((error.details as { queuedBytes: number }).queuedBytes).toBeGreaterThanOrEqual(limit)
    expect(error.message).toMatch(/^Service "stuck" is not reading its channel: .* Is "stuck" blocking its event loop\?/)
    // A service calling it hears the same, at once.
    await expect(manager.call('a', 'tryCall', 'stuck', 'echo', ['x'])).resolves.toMatchObject({ ok: false, code: 'SVC_ERR_OVERLOADED' })
  })
})

describe('frames that are not the protocol', () => {
  type Exit = { service: string; reason: string; error?: { code?: string; message: string } }

  test('a truncated frame on the channel is closed after the partial-frame timeout and reported as a protocol error in the exit report', async () => {
    manager = fixtureManager({ hostile: { entry: './hostile.ts', restart: 'never' } }, { partialFrameTimeoutMs: 300 })
    await manager.start()
    const exit = new Promise<Exit>((resolve) => manager!.once('exit', resolve))
    await expect(manager.call('hostile', 'write', 'truncated')).resolves.toBe('sent')
    // Its answer is stuck behind the unfinished frame: the call fails when the channel is closed, not at its 30 s timeout.
    const stuck = manager.call('hostile', 'echo', 'anyone?').catch((error: unknown) => error)
    expect(await exit).toMatchObject({
      service: 'hostile',
      reason: 'lost-channel',
      error: { code: 'SVC_ERR_PROTOCOL', message: expect.stringMatching(/^Service "hostile" broke the channel protocol: an unfinished frame: \d+ of its 108 bytes arrived, then nothing for 300 ms/) },
    })
    expect(await stuck).toMatchObject({ code: 'SVC_ERR_SERVICE_CLOSED' })
    expect(manager.service('hostile')).toMatchObject({ state: 'closed', display: 'crashed' })
  })

  test.each([
    ['bad header', /bytes that are not a protocol frame/],
    ['text', /a frame of \d+ bytes, over the limit of 536870912/],
  ])('garbage on the channel (%s) is reported as a protocol error, not as a plain crash', async (kind, why) => {
    manager = fixtureManager({ hostile: { entry: './hostile.ts', restart: 'never' } })
    await manager.start()
    const exit = new Promise<Exit>((resolve) => manager!.once('exit', resolve))
    await manager.call('hostile', 'write', kind)
    expect(await exit).toMatchObject({ reason: 'lost-channel', error: { code: 'SVC_ERR_PROTOCOL', message: expect.stringMatching(why) } })
    expect(manager.logs('hostile').some((l) => l.line.startsWith('[svc] protocol error: SVC_ERR_PROTOCOL Service "hostile" broke'))).toBe(true)
  })
})

describe('events to a subscriber that does not read', () => {
  const KIB = 1024
  const MIB = KIB * KIB
  const LIMIT = MAX_QUEUED_BYTES // the documented default
  const SIZE = 100 * KIB

  // Real processes, as the manager makes them, with a look at what the manager queues toward one of them: the events
  // it sends, and the most it ever had waiting to be delivered (the measure the bound is on), right after each.
  function watchQueue(name: string): { stateDir: string; containers: ContainerFactory; sent: number; maxQueued: number } {
    const stateDir = mkdtempSync(join(tmpdir(), 'svc-events-'))
    dirs.push(stateDir)
    mkdirSync(privateDir(stateDir))
    const watch = {
      stateDir,
      sent: 0,
      maxQueued: 0,
      containers: (service) => {
        const container = new ProcessContainer(service, { privateDir: privateDir(stateDir) })
        if (service.name !== name) return container
        container.on('controller', (controller) => {
          const send = controller.send.bind(controller)
          controller.send = (message) => {
            const sent = send(message)
            if (message.type === 'event') watch.sent++
            watch.maxQueued = Math.max(watch.maxQueued, controller.queuedBytes)
            return sent
          }
        })
        return container
      },
    } satisfies { stateDir: string; containers: ContainerFactory; sent: number; maxQueued: number }
    return watch
  }

  // Resolves with the drops reported once they add up to `total` events of `event`; fails if they never do.
  function dropsAddingUp(drops: EventDrop[], event: string, total: () => number, timeoutMs = 10_000): Promise<EventDrop[]> {
    const sum = () => drops.filter((d) => d.event === event).reduce((n, d) => n + d.count, 0)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${sum()} of ${total()} dropped "${event}" events reported within ${timeoutMs} ms`)), timeoutMs)
      const check = () => {
        if (sum() < total()) return
        clearTimeout(timer)
        manager!.off('eventsDropped', check)
        resolve(drops.filter((d) => d.event === event))
      }
      manager!.on('eventsDropped', check)
      check()
    })
  }

  test("events to a subscriber that never reads its channel are dropped and counted once its queue is full; the emitter is not blocked and the manager's queue stays bounded", async () => {
    const watch = watchQueue('stuck')
    manager = fixtureManager(
      {
        source: { entry: './emitter.ts' },
        stuck: { entry: './subscriber.ts', dependsOn: ['source'], config: { source: 'source', events: ['fill'] }, stopTimeoutMs: 200 },
      },
      { containers: watch.containers },
      watch.stateDir, // its run record too, now that custom containers keep one
    )
    const drops: EventDrop[] = []
    manager.on('eventsDropped', (d) => drops.push(d))
    await manager.start()
    manager.faults.pause('stuck') // SIGSTOP: from now on it reads nothing more (and, unlike a spin, costs no CPU)
    const COUNT = 1000 // of SIZE each: 100 MiB, well past the bound and what the kernel's buffers hold
    await expect(manager.call('source', 'burst', 'fill', COUNT, SIZE)).resolves.toBe(COUNT)
    // Its channel is read on: this answer came after every event, each sent on or dropped by then.
    await expect(manager.call('source', 'ping')).resolves.toBe('pong')
    expect(watch.maxQueued).toBeGreaterThanOrEqual(LIMIT)
    expect(watch.maxQueued).toBeLessThan(LIMIT + SIZE + KIB) // the bound and the one message that crossed it
    expect(watch.sent * SIZE).toBeLessThan(LIMIT + 8 * MIB) // give or take what the kernel's socket buffer took
    // Every event that was not queued is counted, by subscriber, source and event name.
    const reported = await dropsAddingUp(drops, 'fill', () => COUNT - watch.sent)
    expect(reported.reduce((n, d) => n + d.count, 0)).toBe(COUNT - watch.sent)
    for (const drop of reported) {
      expect(drop).toMatchObject({ subscriber: 'stuck', source: 'source', event: 'fill', limitBytes: LIMIT })
      expect(drop.queuedBytes).toBeGreaterThanOrEqual(LIMIT)
    }
    const lines = manager.logs('stuck').filter((l) => l.line.startsWith('[svc] '))
    expect(lines.map((l) => l.line)).toEqual(
      reported.map((d) => `[svc] ${d.count} events dropped: "fill" from "source"; "stuck" is not reading its channel (${LIMIT / MIB} MiB wait to be delivered to it, the limit is ${LIMIT / MIB} MiB). Is it blocking its event loop?`),
    )
    expect(manager.service('source').state).toBe('running')
  })

  test('a healthy subscriber receives every event of a normal burst, in order, while another subscriber of them is stuck and misses each', async () => {
    // A lower bound than the default, to fill the stuck queue with less: the burst is far below it either way.
    const limit = 8 * MIB
    manager = fixtureManager(
      {
        source: { entry: './emitter.ts' },
        stuck: { entry: './subscriber.ts', dependsOn: ['source'], config: { source: 'source', events: ['fill', 'tick'] }, stopTimeoutMs: 200 },
        healthy: { entry: './subscriber.ts', dependsOn: ['source'], config: { source: 'source', events: ['tick'] } },
      },
      { maxQueuedBytes: limit },
    )
    const drops: EventDrop[] = []
    manager.on('eventsDropped', (d) => drops.push(d))
    await manager.start()
    manager.faults.pause('stuck')
    // Fill the stuck subscriber's queue past the bound (only it subscribes to "fill").
    await manager.call('source', 'burst', 'fill', Math.ceil((3 * limit) / SIZE), SIZE)
    const BURST = 2000
    await manager.call('source', 'burst', 'tick', BURST, 0)
    await expect(manager.call('healthy', 'received', BURST)).resolves.toEqual(Array.from({ length: BURST }, (_, n) => n))
    const missed = await dropsAddingUp(drops, 'tick', () => BURST)
    expect(missed.every((d) => d.subscriber === 'stuck' && d.source === 'source' && d.limitBytes === limit)).toBe(true)
    expect(drops.filter((d) => d.subscriber === 'healthy')).toEqual([])
    expect(manager.logs('healthy').filter((l) => l.line.includes('dropped'))).toEqual([])
  })
})
