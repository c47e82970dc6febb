// Real connected Unix sockets, like the pipe between the manager and a service, for tests of what runs over them.
import { afterEach } from '@jest/globals'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { connect, createServer, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const cleanup: (() => void)[] = []
afterEach(() => {
  for (const c of cleanup.splice(0)) c()
})

/** Two connected sockets, destroyed (with their server and socket file) after the test. */
export async function socketPair(): Promise<[Socket, Socket]> {
  const dir = mkdtempSync(join(tmpdir(), 'svc-socket-pair-'))
  const server = createServer().listen(join(dir, 's'))
  await once(server, 'listening')
  const accepted = once(server, 'connection')
  const a = connect(join(dir, 's'))
  const [b] = (await accepted) as [Socket]
  cleanup.push(() => {
    a.destroy()
    b.destroy()
    server.close()
    rmSync(dir, { recursive: true, force: true })
  })
  return [a, b]
}
