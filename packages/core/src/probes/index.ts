// Readiness and liveness probes (issue 23): parse them from the manifest, wait for one, or try one once.

export { checkOnce, type CheckOptions } from './check-once.js'
export { describeProbe } from './describe.js'
export { isProbeFailure, probeFailed, type ProbeFailureFacts } from './failure.js'
export type { LineSource } from './log.js'
export { readArgv, readHttpUrl, readPattern, readProbe, readTcpAddress } from './read-probe.js'
export {
  DEFAULT_INTERVAL_MS,
  DEFAULT_START_GRACE_MS,
  DEFAULT_TCP_HOST,
  DEFAULT_TIMEOUT_MS,
  type PolledProbe,
  type ProbeKind,
  type ProbeTarget,
  type ResolvedProbe,
} from './types.js'
export { waitUntilReady, type WaitOptions } from './wait.js'
