// Depends on greeter and calls it through a typed proxy: the types come from greeter's own default export.
import { defineService } from '@services-cluster/core/remote'
import type Greeter from './greeter.ts'

export default defineService(async (ctx) => {
  const greeter = ctx.service<typeof Greeter>('greeter')
  const seen: string[] = []
  ctx.on('greeter', 'greeted', (payload) => seen.push((payload as { name: string }).name))
  ctx.onClose(() => ctx.log.info(`front closing after ${seen.length} greetings`))
  return {
    async welcome(name: string): Promise<string> {
      const line = await greeter.greet(name) // typed: Promise<string>
      return `${line} (${await greeter.count()} so far)`
    },
    seen: () => seen,
  }
})
