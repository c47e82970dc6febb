// The upstream every other service needs: a feed server on 127.0.0.1, with its counters as a service method.
import { defineService } from '@services-cluster/core/remote'
import { FeedServer, type FeedEvent, type FeedStats } from '../src/feed-server.ts'

interface FeedConfig {
  /** 0 (the default) picks a free port; dependents ask `address()`. */
  port?: number
}

export default defineService<{ address(): { host: string; port: number }; stats(): FeedStats }, FeedConfig>(async (ctx) => {
  const server = new FeedServer((event) => ctx.log.info(describe(event)))
  const address = await server.listen(ctx.config.port ?? 0)
  ctx.onClose(() => server.close())
  ctx.log.info(`feed listening on ${address.host}:${address.port}`)
  return { address: () => address, stats: () => server.stats() }
})

// One log line per connection and subscription change, so a run (and a test) can follow what reaches the feed.
function describe(event: FeedEvent): string {
  switch (event.kind) {
    case 'open':
    case 'close':
      return `connection #${event.conn} ${event.kind === 'open' ? 'opened' : 'closed'}`
    case 'subscribe':
    case 'unsubscribe':
      return `connection #${event.conn} ${event.kind}d to ${event.topic}`
    case 'bad':
      return `connection #${event.conn} sent a line that is not JSON: ${event.line}`
  }
}
