// Service→service calls through Moleculer 0.14 over its TCP transporter on loopback, against the raw one-hop fork
// ping-pong measured in the same run (the baseline of every `calls` row, so the ratios compare across peers).
// Two brokers in two child processes, like two services: `echo` serves an echo action, `caller` calls it and
// measures inside its own process (as fixtures/caller.ts does for services-cluster). Static URLs on 127.0.0.1, no
// UDP discovery, JSON serializer (Moleculer's default), no logger.
import { forkHelper, freePort, here, peerCallRows } from './lib.mjs'

export async function moleculerCases({ trials, count }) {
  const [echoPort, callerPort] = [await freePort(), await freePort()]
  const node = (role, own, peer) => forkHelper(here('./fixtures/moleculer-node.mjs'), [role, 'tcp', own, peer])
  const echo = node('echo', echoPort, callerPort)
  const caller = node('caller', callerPort, echoPort)
  try {
    await Promise.all([echo.ready, caller.ready])
    const sockets = await caller.request('sockets')
    const loopback = (s) => /^(::ffff:)?127\.|^::1$/.test(s.slice(0, s.lastIndexOf(':')))
    if (!sockets.length || !sockets.every(loopback)) throw new Error(`Moleculer left loopback: ${sockets.join(', ')}`)
    return await peerCallRows('Moleculer TCP', (n, bytes, inflight, kind) => caller.request('run', n, bytes, inflight, kind), { trials, count })
  } finally {
    await Promise.all([caller.close(), echo.close()])
  }
}
