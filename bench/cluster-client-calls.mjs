// Calls through cluster-client, follower → leader invoke over loopback, against the raw one-hop fork ping-pong
// measured in the same run (the baseline of every `calls` row). Two implementations: egg's cluster-client from npm
// (the peer issue #8 names) and ours (packages/cluster-client). The leader and the follower are two child
// processes, like two services; the leader's DataClient is an in-memory echo, so only cluster-client's own cost is
// measured, inside the follower (as fixtures/caller.ts does for services-cluster).
// bench/cluster-client.mjs measures our client against a direct call in the leader instead.
import { forkHelper, freePort, here, peerCallRows } from './lib.mjs'

/** Peer names in the report, by implementation. */
export const clusterClientPeers = { egg: "egg's cluster-client", ours: 'our cluster-client' }

export async function clusterClientCases(impl, { trials, count }) {
  const port = await freePort()
  const node = (role) => forkHelper(here('./fixtures/cluster-client-node.mjs'), [impl, role, port])
  const leader = node('leader')
  let follower
  try {
    await leader.ready // the follower must find the port held
    follower = node('follower')
    await follower.ready
    const run = (n, bytes, inflight, kind) => follower.request('run', n, bytes, inflight, kind)
    return await peerCallRows(clusterClientPeers[impl], run, { trials, count })
  } finally {
    await follower?.close()
    await leader.close()
  }
}
