// Watches prices through the shared feed client and publishes an alert when one reaches the threshold.
import { defineService, type ServiceContext } from '@services-cluster/core/remote'
import { joinFeed, type MemberConfig } from '../src/feed-client.ts'
import type { Price } from './pricer.ts'

interface NotifierConfig extends MemberConfig {
  /** Alert on prices at or above this. Default 100. */
  threshold?: number
}

export default defineService(async (ctx: ServiceContext<NotifierConfig>) => {
  const threshold = ctx.config.threshold ?? 100
  const feed = await joinFeed(ctx)
  // A failover or a restart delivers the current price again: alert once per distinct price.
  let lastAlerted = ''
  feed.subscribe('prices', (value) => {
    const { symbol, price } = value as Price
    const key = `${symbol}@${price}`
    if (price < threshold || key === lastAlerted) return
    lastAlerted = key
    feed.client.publish({ topic: 'alerts', value: { symbol, price, threshold } })
  })
  return {
    role: feed.role,
    seen: feed.seen,
    lastAlert: () => feed.client.get('alerts'),
  }
})
