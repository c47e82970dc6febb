// Keeps its data in memory: a restarted store starts again from its seed.
import { defineService } from '@services-cluster/core/remote'

export default defineService(async () => {
  const names = new Map([[1, 'Ada'], [2, 'Grace']])
  const visits = new Map()
  return {
    async name(id) {
      return names.get(id) ?? null
    },
    async visit(id) {
      visits.set(id, (visits.get(id) ?? 0) + 1)
      return visits.get(id)
    },
  }
})
