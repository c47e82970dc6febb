import { defineService } from '@services-cluster/core/remote'

export default defineService(async (ctx) => {
  const users = ctx.service('users')
  return {
    async greet(id) {
      const { name, visits } = await users.profile(id)
      return `Hello, ${name} (visit ${visits})`
    },
  }
})
