// Follows prices and alerts through the shared feed client, and checks what it saw against the feed itself.
import { defineService, type ServiceContext } from '@services-cluster/core/remote'
import { joinFeed, type MemberConfig } from '../src/feed-client.ts'

export default defineService(async (ctx: ServiceContext<MemberConfig>) => {
  const feed = await joinFeed(ctx)
  feed.subscribe('prices')
  feed.subscribe('alerts')
  const last = (topic: string) => feed.seen(topic).at(-1) ?? null
  return {
    role: feed.role,
    seen: feed.seen,
    // `get` is an invoke: a direct call in the leader, a round trip to the leader in a follower.
    async audit(): Promise<{ prices: unknown; alerts: unknown; inSync: boolean }> {
      const [prices, alerts] = await Promise.all([feed.client.get('prices'), feed.client.get('alerts')])
      const inSync = JSON.stringify([prices, alerts]) === JSON.stringify([last('prices'), last('alerts')])
      return { prices, alerts, inSync }
    },
  }
})
