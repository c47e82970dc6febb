// Publishes prices to the feed and follows them, through the shared feed client.
import { defineService, type ServiceContext } from '@services-cluster/core/remote'
import { joinFeed, type MemberConfig } from '../src/feed-client.ts'

export interface Price {
  symbol: string
  price: number
}

export default defineService(async (ctx: ServiceContext<MemberConfig>) => {
  const feed = await joinFeed(ctx)
  feed.subscribe('prices')
  return {
    role: feed.role,
    seen: feed.seen,
    quote(symbol: string, price: number): void {
      feed.client.publish({ topic: 'prices', value: { symbol, price } satisfies Price })
    },
    current: async () => (await feed.client.get('prices')) as Price | null,
  }
})
