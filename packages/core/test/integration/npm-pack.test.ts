import { describe, expect, test } from '@jest/globals'
import { execFile } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, normalize } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

// What `npm pack` of each package ships: a tarball a user can depend on — its README and LICENSE, no build caches,
// every entry point its package.json names, and source maps that point at files that are shipped too.
const PACKAGES = fileURLToPath(new URL('../../../', import.meta.url))
const names = readdirSync(PACKAGES).filter((name) => !name.startsWith('.'))

interface Manifest {
  main?: string
  types?: string
  bin?: Record<string, string>
  exports?: Record<string, Record<string, string>>
}

async function packed(dir: string): Promise<Set<string>> {
  const { stdout } = await promisify(execFile)('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: dir })
  return new Set((JSON.parse(stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path))
}

describe.each(names)('npm pack of packages/%s', (name) => {
  const dir = join(PACKAGES, name)
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest
  let files: Set<string>
  const has = (path: string) => files.has(normalize(path).replace(/^\.\//, ''))

  test('ships its README and LICENSE, and no TypeScript build cache', async () => {
    files = await packed(dir)
    expect(has('README.md') && has('LICENSE')).toBe(true)
    expect([...files].filter((f) => f.endsWith('.tsbuildinfo'))).toEqual([])
  })

  test('ships every entry point its package.json names', () => {
    const targets = [manifest.main, manifest.types, ...Object.values(manifest.bin ?? {}), ...Object.values(manifest.exports ?? {}).flatMap((e) => Object.values(e))]
    expect(targets.filter((t): t is string => t !== undefined).filter((t) => !has(t))).toEqual([])
  })

  test('ships what its source maps point at', () => {
    const missing: string[] = []
    for (const map of [...files].filter((f) => f.endsWith('.map'))) {
      const { sources } = JSON.parse(readFileSync(join(dir, map), 'utf8')) as { sources: string[] }
      for (const source of sources) if (!has(join(dirname(map), source))) missing.push(`${map} → ${source}`)
    }
    expect(missing).toEqual([])
  })
})
