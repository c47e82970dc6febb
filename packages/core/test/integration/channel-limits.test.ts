// The bounds of the service channel: message size, what a target that does not read may have queued, and frames
// that are not the protocol.
import { afterEach, describe, expect, test } from '@jest/globals'
import type { ServiceError, ServicesManager } from '../../src/index.js'
import { MAX_QUEUED_BYTES } from '../../src/manager/router.js'
import { fixtureManager } from './harness.js'

let manager: ServicesManager | undefined
afterEach(async () => {
  await manager?.close()
  manager = undefined
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
