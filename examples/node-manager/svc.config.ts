// The node manager: simulated chain nodes, the checker, a scheduler that checks every 5 s, and a JSON-RPC
// gateway on http://127.0.0.1:8545/rpc. Run from the repository root: npm start (see docs/node-manager.md).
// Environment: NM_GATEWAY_PORT, NM_REDIS / REDIS_URL, NM_STORE, NM_STATE_DIR … (listed in manifest.ts).
import { nodeManagerManifest, optionsFromEnv } from './manifest.ts'

export default nodeManagerManifest(optionsFromEnv(process.env))
