// The smallest useful manifest: two services and one typed call. Run: npm run hello (from the repository root).
import { defineServices } from '@services-cluster/core'

export default defineServices({
  services: {
    greeter: { entry: './services/greeter.ts', config: { prefix: 'Hello' } },
    front: { entry: './services/front.ts', dependsOn: ['greeter'], restart: { policy: 'on-failure' } },
  },
})
