import { afterEach, describe, expect, test } from '@jest/globals'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { directToken } from '../../src/protocol/direct-token.js'
import { DirectServer } from '../../src/remote/direct-server.js'
import { readFrames, writeFrame } from '../../src/remote/frames.js'

const key = 'k'.repeat(43)
let server: DirectServer | undefined
const invoked: { from: string; method: string; args: unknown[] }[] = []
afterEach(() => {
  server?.close()
  server = undefined
  invoked.length = 0
})

async function listen(): Promise<string> {
  const path = join(tmpdir(), `svc-direct-test-${process.pid}.sock`)
  server = await DirectServer.listen(path, key, 'target', async (from, method, args) => {
    invoked.push({ from, method, args })
    if (method === 'boom') throw Object.assign(new Error('boom'), { code: 'E_BOOM' })
    return { from, args }
  })
  return path
}

function open(path: string): Promise<{ socket: Socket; frames: unknown[]; closed: Promise<void> }> {
  return new Promise((resolve) => {
    const socket = connect(path, () => resolve({ socket, frames, closed }))
    const frames: unknown[] = []
    const closed = new Promise<void>((r) => socket.on('close', () => r()))
    readFrames(socket, (f) => frames.push(f), () => {})
  })
}

const nextFrame = async (frames: unknown[]) => {
  while (frames.length === 0) await new Promise((r) => setImmediate(r))
  return frames.shift()
}

describe('DirectServer admission', () => {
  test('a caller with the token the manager made for it is served, under its own name', async () => {
    const { socket, frames } = await open(await listen())
    writeFrame(socket, { t: 'hello', caller: 'api', token: directToken(key, 'api') })
    writeFrame(socket, { t: 'call', id: 7, method: 'echo', args: [1, 'two'] })
    expect(await nextFrame(frames)).toEqual({ t: 'result', id: 7, ok: true, value: { from: 'api', args: [1, 'two'] } })
    writeFrame(socket, { t: 'call', id: 8, method: 'boom', args: [] })
    expect(await nextFrame(frames)).toMatchObject({ t: 'result', id: 8, ok: false, error: { code: 'E_BOOM', message: 'boom' } })
    socket.destroy()
  })

  test.each([
    ['a token made for another caller', { t: 'hello', caller: 'intruder', token: directToken(key, 'api') }],
    ['a token made with another key', { t: 'hello', caller: 'api', token: directToken('other-key', 'api') }],
    ['no hello at all', { t: 'call', id: 1, method: 'echo', args: [] }],
  ])('%s: the connection is closed and nothing is called', async (_label, first) => {
    const { socket, closed } = await open(await listen())
    writeFrame(socket, first)
    writeFrame(socket, { t: 'call', id: 2, method: 'echo', args: [] })
    await closed
    expect(invoked).toEqual([])
  })

  test('garbage after a valid hello closes the connection', async () => {
    const { socket, closed } = await open(await listen())
    writeFrame(socket, { t: 'hello', caller: 'api', token: directToken(key, 'api') })
    socket.write('{not json\n')
    await closed
    expect(invoked).toEqual([])
  })
})
