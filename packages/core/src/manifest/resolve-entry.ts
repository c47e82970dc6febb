// Finds the file behind a service's `entry`: a path relative to the project, or an installed package name.

import { existsSync, readFileSync, statSync } from 'node:fs'
import { dirname, extname, isAbsolute, join, resolve } from 'node:path'
import { svcError } from '../errors.js'

const EXTENSIONS = ['', '.ts', '.mts', '.js', '.mjs']
const MODULE_EXTENSIONS = ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs', '.tsx', '.jsx']

export function resolveEntry(service: string, entry: string, cwd: string): string {
  if (typeof entry !== 'string' || entry.length === 0) {
    throw svcError('SVC_ERR_MANIFEST_INVALID', `Service "${service}" has no entry. Set entry to the path of its module.`, {
      service,
      details: { field: 'entry' },
    })
  }
  const found = entry.startsWith('.') || isAbsolute(entry) ? resolvePath(resolve(cwd, entry)) : resolvePackage(entry, cwd)
  if (!found) {
    throw svcError(
      'SVC_ERR_ENTRY_NOT_FOUND',
      `Service "${service}": entry "${entry}" was not found (looked from ${cwd}). Check the path, or install the package.`,
      { service, details: { field: 'entry', entry } },
    )
  }
  if (!MODULE_EXTENSIONS.includes(extname(found))) {
    // A program given as an entry would reach the runner's module loader and fail there with a parse error.
    throw svcError(
      'SVC_ERR_ENTRY_NOT_MODULE',
      `Service "${service}": entry "${entry}" is ${found === entry ? 'not' : `${found}, not`} a JavaScript or TypeScript module. To run a program, use command instead: command: ['${entry}', ...args].`,
      { service, details: { field: 'entry', entry: found } },
    )
  }
  return found
}

function resolvePath(path: string): string | undefined {
  for (const ext of EXTENSIONS) {
    const candidate = path + ext
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate
  }
  return undefined
}

// Walks up node_modules like Node does and reads the package's "exports" (import condition) or "main".
function resolvePackage(specifier: string, cwd: string): string | undefined {
  const parts = specifier.split('/')
  const pkgName = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!
  const subpath = '.' + specifier.slice(pkgName.length)
  for (let dir = cwd; ; dir = dirname(dir)) {
    const pkgDir = join(dir, 'node_modules', pkgName)
    const pkgJson = join(pkgDir, 'package.json')
    if (existsSync(pkgJson)) {
      const pkg = JSON.parse(readFileSync(pkgJson, 'utf8')) as { exports?: unknown; main?: string }
      const target = exportTarget(pkg.exports, subpath) ?? (subpath === '.' ? (pkg.main ?? 'index.js') : subpath)
      return resolvePath(join(pkgDir, target))
    }
    if (dirname(dir) === dir) return undefined
  }
}

function exportTarget(exports: unknown, subpath: string): string | undefined {
  if (typeof exports === 'string') return subpath === '.' ? exports : undefined
  if (!exports || typeof exports !== 'object') return undefined
  const map = exports as Record<string, unknown>
  const entry = Object.keys(map).some((k) => k.startsWith('.')) ? map[subpath] : subpath === '.' ? map : undefined
  return pickCondition(entry)
}

function pickCondition(entry: unknown): string | undefined {
  if (typeof entry === 'string') return entry
  if (!entry || typeof entry !== 'object') return undefined
  const conditions = entry as Record<string, unknown>
  for (const key of ['import', 'node', 'default']) {
    const found = pickCondition(conditions[key])
    if (found) return found
  }
  return undefined
}
