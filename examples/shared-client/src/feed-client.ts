// Every service of the manifest joins the feed through this: the cluster client elects one leader among
// them (the first to listen on 127.0.0.1:clusterPort), which alone opens the feed connection.
import { cluster } from '@services-cluster/cluster-client'
import type { ServiceContext } from '@services-cluster/core/remote'
import type Feed from '../services/feed.ts'
import { FeedDataClient } from './feed-data-client.ts'

export interface MemberConfig {
  /** The cluster client's election port; every service of one manifest must agree on it. */
  clusterPort: number
}

export interface Role {
  service: string
  pid: number
  state: string
  isLeader: boolean
  /** For a follower: the pid of the process that holds the feed connection. */
  leaderPid: number | null
}

export function createFeedClient(clusterPort: number, upstream: { host: string; port: number }) {
  // republish: false — the feed keeps published values itself; replaying old prices after a failover would
  // send stale ones again.
  return cluster(FeedDataClient, { name: 'feed', port: clusterPort, republish: false }).delegate('get').create(upstream)
}

export type FeedClient = ReturnType<typeof createFeedClient>

// Joins the feed and records every value each subscribed topic delivers, for the service's own API.
export async function joinFeed(ctx: ServiceContext<MemberConfig>) {
  const upstream = await ctx.service<typeof Feed>('feed').address()
  const client = createFeedClient(ctx.config.clusterPort, upstream)
  let leaderPid: number | null = null
  client.on('leader', () => {
    leaderPid = process.pid
    ctx.log.info('feed client: leader (holds the feed connection)')
  })
  client.on('follower', ({ leaderPid: pid }) => {
    leaderPid = pid
    ctx.log.info(`feed client: follower of pid ${pid}`)
  })
  client.on('leaderLost', () => ctx.log.info('feed client: leader lost, electing'))
  ctx.onClose(() => client.close())
  await client.ready()

  const seen = new Map<string, unknown[]>()
  const subscribe = (topic: string, onValue: (value: unknown) => void = () => {}) => {
    seen.set(topic, [])
    client.subscribe({ topic }, (value: unknown) => {
      seen.get(topic)!.push(value)
      ctx.log.info(`${topic}: ${JSON.stringify(value)}`)
      onValue(value)
    })
  }
  const role = (): Role => ({ service: ctx.name, pid: process.pid, state: client.state, isLeader: client.isLeader, leaderPid })
  return { client, subscribe, role, seen: (topic: string) => seen.get(topic) ?? [] }
}
