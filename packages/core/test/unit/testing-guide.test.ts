import { expect, test } from '@jest/globals'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

// docs/testing.md shows the example projects of docs/examples/testing/, which consumer-project.test.ts installs and
// runs. A block in the guide is captioned with the file(s) it shows — "`jest-cjs/graph.test.js`:" or "`a.js` and
// `b.js`:" — on the line before it; these checks keep the two from drifting apart.
const DOCS = fileURLToPath(new URL('../../../../docs/', import.meta.url))
const EXAMPLES = join(DOCS, 'examples/testing')
const guide = readFileSync(join(DOCS, 'testing.md'), 'utf8')

const shown = [...guide.matchAll(/^((?:`[^`\n]+`)(?: and `[^`\n]+`)*):\n\n```[a-z]*\n([\s\S]*?)^```$/gm)].flatMap((m) =>
  [...m[1]!.matchAll(/`([^`]+)`/g)].map((p) => ({ path: p[1]!, text: m[2]! })),
)

const walk = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.name !== '.svc' && e.name !== 'node_modules') // what running an example there leaves
    .flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]))

test('every block captioned with an example file is that file, byte for byte', () => {
  expect(shown.length).toBeGreaterThan(0)
  const differ = shown.filter(({ path, text }) => !existsSync(join(EXAMPLES, path)) || readFileSync(join(EXAMPLES, path), 'utf8') !== text)
  expect(differ.map(({ path }) => `docs/testing.md shows docs/examples/testing/${path}, which ${existsSync(join(EXAMPLES, path)) ? 'differs' : 'does not exist'}`)).toEqual([])
})

test('every file of every example is in the guide', () => {
  const paths = new Set(shown.map(({ path }) => path))
  const missing = walk(EXAMPLES).map((file) => relative(EXAMPLES, file)).filter((path) => !paths.has(path))
  expect(missing.map((path) => `docs/examples/testing/${path} is not shown in docs/testing.md`)).toEqual([])
})
