// The cluster's shared state lives in NATS JetStream key-value buckets, one per concern, named after the cluster:
// `svc-<cluster>-hosts` (who is up) and `svc-<cluster>-leases` (who runs each singleton). A bucket's TTL is what
// makes a silent host's entries disappear: JetStream removes a value that was not written again within it.
// `nats` is loaded with these modules, which nothing a single-host graph runs imports.

import { readFile } from 'node:fs/promises'
import type { KV, NatsConnection } from 'nats'
import { svcError } from '../errors.js'
import { idToken } from './subjects.js'

/** KV bucket names allow letters, digits, '-' and '_': what a cluster id may hold anyway (subjects.ts). */
export function bucketName(cluster: string, concern: 'hosts' | 'leases'): string {
  return `svc-${idToken('cluster', cluster)}-${concern}`
}

/** Connects to NATS, or fails with a coded error that says where it looked. Credentials may be in the URL
 * (`nats://user:password@host:port`, or `nats://token@host:port`); they never appear in a message. */
export async function connectNats(url: string, name: string, credentialsFile: string | null = null, more: { inboxPrefix?: string; timeout?: number } = {}): Promise<NatsConnection> {
  const { connect, credsAuthenticator } = await import('nats')
  const parsed = new URL(url)
  const credentials = parsed.password
    ? { user: decodeURIComponent(parsed.username), pass: decodeURIComponent(parsed.password) }
    : parsed.username
      ? { token: decodeURIComponent(parsed.username) }
      : {}
  parsed.username = ''
  parsed.password = ''
  const servers = parsed.toString().replace(/\/$/, '')
  let authenticator
  if (credentialsFile) {
    try {
      authenticator = credsAuthenticator(await readFile(credentialsFile))
    } catch (cause) {
      throw svcError('SVC_ERR_CLUSTER_UNREACHABLE', `Cannot read the NATS credentials file ${credentialsFile} (${(cause as Error).message}). Fix cluster.natsCredentials.`, { cause })
    }
  }
  try {
    return await connect({ servers, name, ...more, ...credentials, ...(authenticator && { authenticator }), maxReconnectAttempts: -1, reconnectTimeWait: 250,
      // A request() otherwise builds Errors with stack traces for every call, in case it fails: 18 % of a calling
      // host's manager's time in a profile of calls across hosts (bench/cluster.md).
      noAsyncTraces: true })
  } catch (cause) {
    throw svcError('SVC_ERR_CLUSTER_UNREACHABLE', `Cannot reach NATS at ${servers} (${(cause as Error).message}). Start nats-server with JetStream (-js), check the credentials, or fix cluster.nats.`, { cause })
  }
}

/** Opens (creating it if needed) a bucket that keeps one value per key, each removed `ttlMs` after its last write. */
export async function openBucket(nc: NatsConnection, bucket: string, ttlMs: number): Promise<KV> {
  try {
    return await nc.jetstream().views.kv(bucket, { ttl: ttlMs, history: 1 })
  } catch (cause) {
    throw svcError('SVC_ERR_CLUSTER_UNREACHABLE', `NATS at ${nc.getServer()} has no JetStream for bucket ${bucket} (${(cause as Error).message}). Start nats-server with -js.`, { cause })
  }
}
