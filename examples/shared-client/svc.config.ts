// Three services share one connection to the feed through the cluster client. Run from the repository root:
//   node packages/cli/dist/bin.js up -c examples/shared-client/svc.config.ts
// Environment: SHARED_CLIENT_PORT (election port, default 7788), SHARED_CLIENT_FEED_PORT, SHARED_CLIENT_STATE_DIR.
import { optionsFromEnv, sharedClientManifest } from './manifest.ts'

export default sharedClientManifest(optionsFromEnv(process.env))
