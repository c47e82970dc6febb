// Build step after `tsc -b`: bundles the service runner (dist/remote/runner.js and the dozen modules it imports) into
// one CommonJS file, and the spawner process's program (dist/container/spawner-main.js) into another. Every service
// process loads the runner at boot, where each extra ESM module file costs about a millisecond of CPU, and each builtin
// imported through the ESM loader costs more than the same require(). CommonJS also lets the builtins that only some
// services need (node:crypto for direct calls) load lazily.
import { build } from 'esbuild'
import { fileURLToPath } from 'node:url'

const dist = fileURLToPath(new URL('../dist/remote/', import.meta.url))
await build({
  entryPoints: [dist + 'runner.js'],
  outfile: dist + 'runner.bundle.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // The sources use import.meta.url (to find jiti next to the runner); CommonJS spells it through __filename.
  banner: { js: 'const __runnerUrl = require("node:url").pathToFileURL(__filename).href;' },
  define: { 'import.meta.url': '__runnerUrl' },
  // jiti is required at run time, and only by TypeScript services; nats only by services with a NATS user of their
  // own (cluster/service-nats.ts); everything else is inlined.
  external: ['jiti', 'nats'],
  sourcemap: 'linked',
  logLevel: 'warning',
})

// The spawner imports nothing but node:child_process; as CommonJS it skips Node's ES-module loader at a moment when
// every core is busy with the first services' boots (10 services: 316 → 305 ms in one alternating probe).
await build({
  entryPoints: [fileURLToPath(new URL('../dist/container/spawner-main.js', import.meta.url))],
  outfile: fileURLToPath(new URL('../dist/container/spawner-main.bundle.cjs', import.meta.url)),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  logLevel: 'warning',
})
