// Build step after `tsc -b`: bundles the service runner (dist/remote/runner.js and the dozen modules it imports)
// into one file. Every service process loads it at boot, and with ESM each extra module file costs about a
// millisecond of CPU there — a third of what the runner adds to a bare Node start.
import { build } from 'esbuild'
import { fileURLToPath } from 'node:url'

const dist = fileURLToPath(new URL('../dist/remote/', import.meta.url))
await build({
  entryPoints: [dist + 'runner.js'],
  outfile: dist + 'runner.bundle.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // jiti is required at run time, and only by TypeScript services; everything else is inlined.
  external: ['jiti'],
  sourcemap: 'linked',
  logLevel: 'warning',
})
