// The `bootstrap` one-shot of the example's graph: loads nodes.json into the checker's store (see
// src/checker/bootstrap.ts), prints what it did, and exits 0 so the checker may start; on any problem it prints the
// reason and exits 1, and the checker does not start. Its config is the checker's, as JSON in NM_CHECKER_CONFIG.
// Run by the manifest as: node --import jiti/register scripts/bootstrap.ts
import { bootstrapStore } from '../src/checker/bootstrap.ts'
import { defaultsFor, parseCheckerConfig } from '../src/checker/config.ts'

try {
  const raw = process.env.NM_CHECKER_CONFIG
  const config = parseCheckerConfig(raw ? JSON.parse(raw) : undefined, 'bootstrap', defaultsFor(process.env))
  console.log(await bootstrapStore(config, (message) => console.warn(message)))
} catch (error) {
  const { code, message } = error as { code?: string; message?: string }
  console.error(`bootstrap failed: ${code ? `${code}: ` : ''}${message ?? String(error)}`)
  process.exitCode = 1
}
