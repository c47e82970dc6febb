// The graph under test: api → users → store. The manifest is the one `svc up` runs and the test starts.
import { defineServices } from '@services-cluster/core'

export default defineServices({
  services: {
    store: { entry: './services/store.js', restart: { policy: 'on-failure' } },
    users: { entry: './services/users.js', dependsOn: ['store'] },
    api: { entry: './services/api.js', dependsOn: ['users'] },
  },
})
