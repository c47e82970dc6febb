import { defineService } from '@services-cluster/core/remote'

export default defineService(async (ctx) => {
  const store = ctx.service('store')
  return {
    async profile(id) {
      const name = await store.name(id)
      if (name === null) throw new Error(`no user ${id}`)
      return { name, visits: await store.visit(id) }
    },
  }
})
