// Hosts of a cluster on NATS for the cross-host benchmarks: each host a ServicesManager in a process of its own
// (fixtures/cluster-host.mjs) with its own SVC_HOST and state folder, as on separate machines; and the cleanup of
// what a cluster leaves in JetStream (its two KV buckets' streams outlive the hosts).
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect } from 'nats'
import { forkHelper, here } from './lib.mjs'

export const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222'

/** A fresh cluster name: runs never share buckets or subjects. */
export const clusterName = (what) => `bench-${what}-${randomBytes(3).toString('hex')}`

/** Starts one host per name of `hosts` at once; resolves { name: helper } once every manager's start() resolved. */
export async function startHosts(cluster, services, hosts, ttlMs) {
  const manifest = JSON.stringify({ cluster: { name: cluster, nats: NATS_URL }, services })
  const started = {}
  for (const host of hosts) {
    const dir = mkdtempSync(join(tmpdir(), `svc-bench-${host}-`))
    const helper = forkHelper(here('./fixtures/cluster-host.mjs'), [manifest, dir, ttlMs], { env: { ...process.env, SVC_HOST: host } })
    // The state folder goes with the host, however it ended (a SIGKILLed host never cleans up).
    helper.child.once('exit', () => rmSync(dir, { recursive: true, force: true }))
    started[host] = helper
  }
  try {
    await Promise.all(Object.values(started).map((h) => h.ready))
  } catch (error) {
    await closeHosts(cluster, started)
    throw error
  }
  return started
}

/** Closes every host still running (each closes its own part), then deletes the cluster's JetStream streams. */
export async function closeHosts(cluster, hosts) {
  await Promise.all(Object.values(hosts).map((h) => h.close()))
  await dropStreams([`KV_svc-${cluster}-hosts`, `KV_svc-${cluster}-leases`])
}

export async function dropStreams(names) {
  const nc = await connect({ servers: NATS_URL, name: 'bench cleanup' })
  const jsm = await nc.jetstreamManager()
  for (const name of names) await jsm.streams.delete(name).catch(() => false)
  await nc.close()
}
