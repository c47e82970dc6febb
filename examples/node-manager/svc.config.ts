// The node manager: its own redis-server (127.0.0.1:6390), simulated chain nodes, a bootstrap one-shot that loads
// nodes.json into Redis, the checker, a scheduler that checks every 5 s, and a JSON-RPC gateway on
// http://127.0.0.1:8545/rpc. Run from the repository root: npm start (see docs/node-manager.md); needs redis-server
// installed, not running. Environment: NM_REDIS (0, or a redis:// URL of your own), NM_REDIS_PORT, NM_GATEWAY_PORT,
// NM_STORE, NM_STATE_DIR … (listed in manifest.ts).
import { nodeManagerManifest, optionsFromEnv } from './manifest.ts'

export default nodeManagerManifest(optionsFromEnv(process.env))
