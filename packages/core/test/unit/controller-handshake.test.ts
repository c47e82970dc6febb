import { expect, test } from '@jest/globals'
import { ServiceController } from '../../src/controller/service-controller.js'
import { createMemoryPortPair } from '../../src/testing/index.js'
import { PROTOCOL_VERSION, type HostMessage, type RemoteMessage } from '../../src/protocol/messages.js'

// The handshake: the remote boots first and says remoteReady; only then is its code sent. A container can therefore
// be spawned ahead of its dependencies and receive its code the moment they run.

const turns = async (n = 5) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r))
}

function pair() {
  const [host, remote] = createMemoryPortPair<RemoteMessage, HostMessage>()
  const received: HostMessage[] = []
  remote.on('message', (m) => received.push(m))
  return { controller: new ServiceController('s', host), remote, received }
}

const startMessage = { name: 's', entry: '/nowhere/s.js', config: null, calls: [] }

test('the code is sent only after the remote said remoteReady', async () => {
  const { controller, remote, received } = pair()
  const running = controller.start(startMessage, 5000)
  await turns()
  expect(received.filter((m) => m.type === 'start')).toEqual([]) // booting: nothing sent yet

  remote.send({ type: 'remoteReady', protocol: PROTOCOL_VERSION, pid: 2 })
  await turns()
  expect(received.filter((m) => m.type === 'start')).toEqual([expect.objectContaining({ type: 'start', name: 's' })])
  remote.send({ type: 'state', state: 'running' })
  await expect(running).resolves.toBeUndefined()
})

test('a remote that dies before remoteReady fails the start at once, with nothing sent', async () => {
  const { controller, remote, received } = pair()
  const running = controller.start(startMessage, 60_000)
  remote.close()
  await expect(running).rejects.toMatchObject({ code: 'SVC_ERR_EXITED_DURING_START' })
  expect(received).toEqual([])
})

test('a remote that speaks another protocol is refused before its code is sent', async () => {
  const { controller, remote, received } = pair()
  const running = controller.start(startMessage, 5000)
  remote.send({ type: 'remoteReady', protocol: PROTOCOL_VERSION + 1, pid: 2 })
  await expect(running).rejects.toMatchObject({ code: 'SVC_ERR_PROTOCOL_MISMATCH' })
  expect(received.filter((m) => m.type === 'start')).toEqual([])
})
