import { describe, expect, test } from '@jest/globals'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

// A package that imports something it does not declare works in this repository (the root node_modules has it, or a
// sibling's dependency is hoisted there) and breaks in a user's project. So each publishable package's built code —
// every .js/.mjs/.cjs/.d.ts in the folders its package.json ships, src/ aside (TypeScript, for the source maps) — may
// import, require or resolve only Node builtins, itself, and its own dependencies or peerDependencies.
const PACKAGES = fileURLToPath(new URL('../../../', import.meta.url))
const names = readdirSync(PACKAGES).filter((name) => !name.startsWith('.'))

interface Manifest {
  name: string
  private?: boolean
  files?: string[]
  dependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
}

const walk = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]))

// The package a specifier names ('@scope/name/sub' → '@scope/name', 'name/sub' → 'name'); null for relative, absolute
// and builtin specifiers.
function packageOf(specifier: string): string | null {
  if (/^[./]/.test(specifier) || specifier.startsWith('node:') || builtinModules.includes(specifier.split('/')[0]!)) return null
  return specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/')
}

// import/export … from, import(), require() (TypeScript's own scanner), plus what it does not see:
// createRequire(…)('x'), require.resolve('x') and import.meta.resolve('x').
function specifiers(source: string): string[] {
  const info = ts.preProcessFile(source, true, true)
  const found = [...info.importedFiles, ...info.typeReferenceDirectives].map((f) => f.fileName)
  for (const m of source.matchAll(/(?:createRequire\([^)]*\)|\.resolve)\(\s*["']([^"']+)["']/g)) found.push(m[1]!)
  return found
}

function undeclaredImports(dir: string, manifest: Manifest): string[] {
  const declared = new Set([manifest.name, ...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})])
  const shipped = (manifest.files ?? []).filter((f) => !f.startsWith('!') && f !== 'src').map((f) => join(dir, f))
  const problems: string[] = []
  for (const file of shipped.filter((f) => existsSync(f)).flatMap(walk).filter((f) => /\.(?:[mc]?js|d\.ts)$/.test(f))) {
    for (const spec of specifiers(readFileSync(file, 'utf8'))) {
      const pkg = packageOf(spec)
      if (pkg !== null && !declared.has(pkg)) problems.push(`${file.slice(dir.length + 1)} imports "${spec}", but "${pkg}" is not in its dependencies`)
    }
  }
  return [...new Set(problems)]
}

test('the scanner sees static imports, require() and createRequire()(…)', () => {
  expect(specifiers(`import a from 'eventemitter3'\nconst b = require("toposort")\nconst { createJiti } = createRequire(import.meta.url)('jiti')\nawait import('x/y')`)).toEqual(
    expect.arrayContaining(['eventemitter3', 'toposort', 'jiti', 'x/y']),
  )
  expect([packageOf('@scope/name/sub'), packageOf('name/sub'), packageOf('node:fs'), packageOf('fs/promises'), packageOf('./a.js')]).toEqual(['@scope/name', 'name', null, null, null])
})

describe.each(names.filter((name) => !(JSON.parse(readFileSync(join(PACKAGES, name, 'package.json'), 'utf8')) as Manifest).private))(
  'packages/%s',
  (name) => {
    test('imports only its own dependencies and peerDependencies (and Node builtins)', () => {
      const dir = join(PACKAGES, name)
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest
      expect(existsSync(join(dir, 'dist'))).toBe(true) // built by `npm test`; an empty scan proves nothing
      expect(undeclaredImports(dir, manifest)).toEqual([])
    })
  },
)
