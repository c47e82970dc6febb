import { afterEach, describe, expect, test } from '@jest/globals'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FramePort } from '../../src/port/frame-port.js'
import { directToken } from '../../src/protocol/direct-token.js'
import { MAX_DIRECT_FRAME_BYTES, type DirectCallerMessage, type ResponseMessage } from '../../src/protocol/messages.js'
import { DirectServer } from '../../src/remote/direct-server.js'

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

type Caller = FramePort<ResponseMessage, DirectCallerMessage>

/** A caller's end of a direct channel, speaking the same frames as DirectCalls. */
function open(path: string): Promise<{ socket: Socket; port: Caller; frames: unknown[]; closed: Promise<void> }> {
  return new Promise((resolve) => {
    const socket = connect(path, () => resolve({ socket, port, frames, closed }))
    const port: Caller = new FramePort(socket, { rawBodies: false })
    const frames: unknown[] = []
    const closed = new Promise<void>((r) => socket.on('close', () => r()))
    port.on('message', (m) => frames.push(m))
  })
}

const hello = (caller: string, token: string): DirectCallerMessage => ({ type: 'directHello', caller, token })
const request = (id: number, method: string, args: unknown[]): DirectCallerMessage => ({ type: 'request', id, to: 'target', method, args })

const nextFrame = async (frames: unknown[]) => {
  while (frames.length === 0) await new Promise((r) => setImmediate(r))
  return frames.shift()
}

describe('DirectServer admission', () => {
  test('a caller with the token the manager made for it is served, under its own name', async () => {
    const { socket, port, frames } = await open(await listen())
    port.send(hello('api', directToken(key, 'api')))
    port.send(request(7, 'echo', [1, 'two']))
    expect(await nextFrame(frames)).toEqual({ type: 'response', id: 7, ok: true, value: { from: 'api', args: [1, 'two'] } })
    port.send(request(8, 'boom', []))
    expect(await nextFrame(frames)).toMatchObject({ type: 'response', id: 8, ok: false, error: { code: 'E_BOOM', message: 'boom' } })
    const long = 'x'.repeat(100_000) // travels V8-serialised, both ways (protocol/body-codec.ts)
    port.send(request(9, 'echo', [long]))
    expect(await nextFrame(frames)).toEqual({ type: 'response', id: 9, ok: true, value: { from: 'api', args: [long] } })
    socket.destroy()
  })

  test.each([
    ['a token made for another caller', hello('intruder', directToken(key, 'api'))],
    ['a token made with another key', hello('api', directToken('other-key', 'api'))],
    ['no hello at all', request(1, 'echo', [])],
  ])('%s: the connection is closed and nothing is called', async (_label, first) => {
    const { port, closed } = await open(await listen())
    port.send(first)
    port.send(request(2, 'echo', []))
    await closed
    expect(invoked).toEqual([])
  })

  test('garbage after a valid hello closes the connection', async () => {
    const { socket, port, closed } = await open(await listen())
    port.send(hello('api', directToken(key, 'api')))
    port.flush()
    socket.write('{not json\n')
    await closed
    expect(invoked).toEqual([])
  })

  test('a frame announced over the direct limit closes the connection before anything is buffered for it', async () => {
    const { socket, closed } = await open(await listen())
    const prefix = Buffer.alloc(8)
    prefix.writeUInt32LE(MAX_DIRECT_FRAME_BYTES + 1, 0) // a header that size; the manager's pipe would wait for it
    socket.write(prefix)
    await closed
    expect(invoked).toEqual([])
  })
})
