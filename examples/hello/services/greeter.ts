// The leaf service: knows how to greet, and tells anyone listening how many greetings it has made.
import { defineService } from '@services-cluster/core/remote'

interface GreeterConfig {
  prefix?: string
}

export default defineService<{ greet(name: string): string; count(): number }, GreeterConfig>(async (ctx) => {
  const prefix = ctx.config.prefix ?? 'Hello'
  let count = 0
  ctx.log.info(`greeter ready (prefix "${prefix}")`)
  return {
    greet(name: string): string {
      count++
      ctx.emit('greeted', { name, count })
      return `${prefix}, ${name}!`
    },
    count: () => count,
  }
})
