// Bad bytes on the election port, and programs squatting on it, against real member processes.

import { afterEach, beforeEach, describe, expect, test } from '@jest/globals'
import net from 'node:net'
import { encodePacket, HANDSHAKE_MAGIC, PROTOCOL_VERSION } from '../../src/protocol/packet.js'
import { freePort, killAll, Member } from '../helpers/members.js'
import { UpstreamServer } from '../helpers/upstream-server.js'

let upstream: UpstreamServer
let members: Member[] = []
let port: number
const servers: net.Server[] = []
const squatterSockets: net.Socket[] = []

beforeEach(async () => {
  upstream = await new UpstreamServer().start()
  port = await freePort()
})

afterEach(async () => {
  await killAll(members)
  members = []
  for (const s of squatterSockets.splice(0)) s.destroy()
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))))
  await upstream.stop()
})

async function spawn(): Promise<Member> {
  const m = await Member.spawn()
  members.push(m)
  return m
}

const create = (m: Member, options: Record<string, unknown> = {}) => m.send('create', { port, upstreamPort: upstream.port, options })

/** Opens a raw socket to the election port, writes `bytes` (then ends if asked), resolves when the peer closes it. */
function rawExchange(bytes: Buffer[], end = false): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1' })
    const got: Buffer[] = []
    s.on('data', (d) => got.push(d))
    s.on('error', reject)
    s.on('close', () => resolve(Buffer.concat(got)))
    s.on('connect', () => {
      for (const b of bytes) s.write(b)
      if (end) s.end()
    })
  })
}

function header(fields: { version?: number; flag?: number; reserved?: number; connLength: number; appLength?: number }): Buffer {
  const h = Buffer.alloc(24)
  h[0] = fields.version ?? PROTOCOL_VERSION
  h[1] = fields.flag ?? 0
  h.writeUInt16BE(fields.reserved ?? 0, 2)
  h.writeUInt32BE(7, 8)
  h.writeUInt32BE(fields.connLength, 16)
  h.writeUInt32BE(fields.appLength ?? 0, 20)
  return h
}

const handshake = () => encodePacket({ id: 1, isResponse: false, conn: { type: 'handshake', magic: HANDSHAKE_MAGIC, version: PROTOCOL_VERSION, pid: 1 } })
const register = () => encodePacket({ id: 2, isResponse: false, conn: { type: 'register_channel', channel: 'upstream' } })

describe('garbage and oversized frames', () => {
  test('each bad connection is closed with a logged, coded error; the leader and its followers carry on', async () => {
    const leader = await spawn()
    const follower = await spawn()
    expect((await create(leader)).value.state).toBe('leader')
    expect((await create(follower)).value.state).toBe('follower')
    const errorLog = (code: string) => leader.waitEvent((e) => e.event === 'log' && e.level === 'error' && e.message.includes(code))

    // Text where a header should be: the version byte is 'G'.
    await rawExchange([Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')])
    await errorLog('SVC_ERR_CC_PROTOCOL_VERSION')

    // A header declaring a 2 GiB frame is refused at once, before any body arrives.
    await rawExchange([header({ connLength: 0x7fffffff })])
    await errorLog('SVC_ERR_CC_FRAME_TOO_LARGE')

    // Bad req/res flag.
    await rawExchange([header({ flag: 9, connLength: 2 }), Buffer.from('{}')])
    await errorLog('SVC_ERR_CC_BAD_FRAME')

    // Half a frame, then the end of the stream.
    await rawExchange([header({ connLength: 100 }), Buffer.from('{"type":"handsh')], true)
    await errorLog('SVC_ERR_CC_FRAME_TRUNCATED')

    // A well-formed frame that is not a handshake.
    await rawExchange([encodePacket({ id: 1, isResponse: false, conn: { type: 'publish' }, app: { topic: 'x' } })])
    await leader.waitEvent((e) => e.event === 'log' && e.message.includes('expected a cluster-client handshake'))

    // Garbage after a proper handshake and registration, on a connection the leader already serves.
    const got = await rawExchange([handshake(), register(), header({ connLength: 3 }), Buffer.from('{{{')])
    expect(got.length).toBeGreaterThan(0) // it did answer the handshake and the registration first
    await errorLog('conn object is not valid JSON')

    // Nothing reached upstream, and the real follower still works through the same leader.
    expect(await follower.call('invoke', { method: 'echo', args: ['still fine'] })).toBe('still fine')
    expect(await leader.call('state')).toBe('leader')
    expect(await follower.call('state')).toBe('follower')
    expect(upstream.connections).toHaveLength(1)
  })
})

describe('a foreign server squatting on the port', () => {
  async function squat(onConnection: (s: net.Socket) => void): Promise<void> {
    const srv = net.createServer((s) => {
      squatterSockets.push(s)
      s.resume() // reads and drops what the client sends, as a real server would
      onConnection(s)
    })
    servers.push(srv)
    await new Promise<void>((resolve) => srv.listen(port, '127.0.0.1', resolve))
  }

  test('one that talks first (garbage) is refused at once, not trusted', async () => {
    await squat((s) => s.end('SSH-2.0-OpenSSH_9.2\r\n'.repeat(3)))
    const m = await spawn()
    const started = Date.now()
    const r = await create(m)
    expect(r.ok).toBe(false)
    expect(r.error!.code).toBe('SVC_ERR_CC_FOREIGN_SERVER')
    expect(r.error!.message).toContain(`127.0.0.1:${port}`)
    expect(Date.now() - started).toBeLessThan(3000)
    expect(upstream.connections).toHaveLength(0)
  })

  test('one that stays silent is refused once the election time is up', async () => {
    await squat(() => {})
    const m = await spawn()
    const r = await create(m, { handshakeTimeout: 150, electionTimeout: 600 })
    expect(r.ok).toBe(false)
    expect(r.error!.code).toBe('SVC_ERR_CC_FOREIGN_SERVER')
    expect(r.error!.message).toContain('silent')
    expect(upstream.connections).toHaveLength(0)
  })
})
