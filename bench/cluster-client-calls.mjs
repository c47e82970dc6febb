// Calls through cluster-client (packages/cluster-client), follower → leader invoke over loopback, against the raw
// one-hop fork ping-pong measured in the same run (the baseline of every `calls` row). The leader and the
// follower are two child processes, like two services; the leader's DataClient is an in-memory echo, so only
// cluster-client's own cost is measured, inside the follower (as fixtures/caller.ts does for services-cluster).
// bench/cluster-client.mjs measures the same client against a direct call in the leader instead.
import { forkHelper, freePort, here, peerCallRows } from './lib.mjs'

export async function clusterClientCases({ trials, count }) {
  const port = await freePort()
  const node = (role) => forkHelper(here('./fixtures/cluster-client-node.mjs'), [role, port])
  const leader = node('leader')
  let follower
  try {
    await leader.ready // the follower must find the port held
    follower = node('follower')
    await follower.ready
    return await peerCallRows('cluster-client', (n, bytes, inflight, kind) => follower.request('run', n, bytes, inflight, kind), { trials, count })
  } finally {
    await follower?.close()
    await leader.close()
  }
}
