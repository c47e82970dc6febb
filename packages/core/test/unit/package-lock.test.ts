import { expect, test } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

// package-lock.json must be complete for every platform npm supports, or `npm install` on another machine rewrites it
// and `npm ci` on a Mac fails: every dependency of every package in it — optional ones included, such as
// @swc/core-darwin-arm64 or @rolldown/binding-win32-x64-msvc — must resolve to an entry of the lock, and each
// workspace's entry must say what its package.json says.
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url))

interface Entry {
  link?: boolean
  dependencies?: Record<string, string>
  optionalDependencies?: Record<string, string>
  devDependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
  peerDependenciesMeta?: Record<string, { optional?: boolean }>
}
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, Entry> }
const entries = lock.packages

// Node's lookup, over the lock's keys: <dir>/node_modules/<name>, then each folder above.
function resolves(from: string, name: string): boolean {
  for (let dir = from; ; ) {
    if (`${dir ? `${dir}/` : ''}node_modules/${name}` in entries) return true
    if (dir === '') return false
    const up = dir.lastIndexOf('/node_modules/')
    dir = up < 0 ? '' : dir.slice(0, up)
  }
}

test('every dependency of every locked package, on every platform, is in the lock', () => {
  const missing: string[] = []
  for (const [key, entry] of Object.entries(entries)) {
    if (entry.link) continue
    const required = Object.keys(entry.peerDependencies ?? {}).filter((name) => !entry.peerDependenciesMeta?.[name]?.optional)
    const wanted = [...Object.keys({ ...entry.dependencies, ...entry.optionalDependencies }), ...required]
    // devDependencies are installed only for the root and the workspaces.
    if (!key.includes('node_modules/')) wanted.push(...Object.keys(entry.devDependencies ?? {}))
    for (const name of wanted) if (!resolves(key, name)) missing.push(`${key || '(root)'} → ${name}`)
  }
  expect(missing).toEqual([])
})

// npm writes the lock's maps sorted by name.
const sorted = (deps: Record<string, string> = {}) => JSON.stringify(Object.entries(deps).sort(([a], [b]) => (a < b ? -1 : 1)))

test("each workspace's entry in the lock matches its package.json", () => {
  const stale: string[] = []
  for (const [key, entry] of Object.entries(entries)) {
    if (key.includes('node_modules/')) continue
    const manifest = JSON.parse(readFileSync(join(ROOT, key, 'package.json'), 'utf8')) as Entry
    for (const field of ['dependencies', 'optionalDependencies', 'devDependencies', 'peerDependencies'] as const) {
      if (sorted(manifest[field]) !== sorted(entry[field])) stale.push(`${key || '(root)'} ${field}`)
    }
  }
  expect(stale).toEqual([])
})
