// Build step after `tsc -b`: a CommonJS copy of the compiled host API in cjs/, beside dist/, for projects that
// `require('@services-cluster/core')` (and jest under its default, CommonJS configuration). One file per module, the
// same tree as dist/, so every `new URL('../../dist/…', import.meta.url)` still finds the runner and the spawner.
import { transform } from 'esbuild'
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const dist = fileURLToPath(new URL('../dist/', import.meta.url))
const cjs = fileURLToPath(new URL('../cjs/', import.meta.url))
const entries = (dir) => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? entries(join(dir, e.name)) : [join(dir, e.name)]))

rmSync(cjs, { recursive: true, force: true })
for (const file of entries(dist).filter((f) => f.endsWith('.js'))) {
  const { code } = await transform(readFileSync(file, 'utf8'), {
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    // import.meta.url, spelt the CommonJS way: this file's own URL.
    banner: 'const __importMetaUrl = require("node:url").pathToFileURL(__filename).href;',
    define: { 'import.meta.url': '__importMetaUrl' },
    logLevel: 'warning',
  })
  const out = join(cjs, relative(dist, file))
  mkdirSync(dirname(out), { recursive: true })
  writeFileSync(out, code)
}
// The `.js` files here are CommonJS, whatever the package's own "type" says.
writeFileSync(join(cjs, 'package.json'), '{ "type": "commonjs" }\n')
