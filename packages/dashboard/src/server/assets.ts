// The page's files, read once at start-up: the HTML and CSS from static/, the browser modules compiled by
// `npm run build` (tsc) into dist/, and the browser build of the one library the page imports (dagre, which lays
// out the graph). Only these paths are ever served, so no request reaches the file system.

import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { DashboardError } from './errors.js'
import { contentSecurityPolicy } from './http.js'

export interface Asset {
  body: Buffer
  type: string
  /** Headers of this file only (the page's policy, which admits its import map). */
  headers?: Record<string, string>
}

// The same relative paths hold from src/server/ (tests) and dist/server/ (the built package).
const PACKAGE = new URL('../../', import.meta.url)
const STATIC = new URL('static/', PACKAGE)
const DIST = new URL('dist/', PACKAGE)

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
}

/** Bare specifiers the browser modules import, and where the page's import map sends them. */
export const VENDOR: Record<string, string> = { '@dagrejs/dagre': '/vendor/dagre.js' }

/** URL path → file. `/` is the page; `/ui/*.js` and `/protocol.js` mirror dist/, so the modules' relative imports work. */
export function loadAssets(): Map<string, Asset> {
  const ui = new URL('ui/', DIST)
  const entry = fileURLToPath(new URL('main.js', ui))
  if (!existsSync(entry)) {
    throw new DashboardError(
      'SVC_ERR_DASHBOARD_NOT_BUILT',
      `The dashboard's browser code is not built (${entry} is missing). Run \`npm run build\` in the repository first.`,
    )
  }
  const assets = new Map<string, Asset>()
  const add = (path: string, file: URL) => assets.set(path, { body: readFileSync(file), type: TYPES[extension(path)] ?? 'application/octet-stream' })
  add('/', new URL('index.html', STATIC))
  for (const name of readdirSync(STATIC)) if (name !== 'index.html') add(`/${name}`, new URL(name, STATIC))
  for (const name of readdirSync(ui)) if (name.endsWith('.js')) add(`/ui/${name}`, new URL(name, ui))
  add('/protocol.js', new URL('protocol.js', DIST))
  for (const [specifier, path] of Object.entries(VENDOR)) add(path, browserModule(specifier))
  const page = assets.get('/')!
  page.headers = { 'content-security-policy': contentSecurityPolicy(inlineScriptHashes(page.body.toString('utf8'))) }
  return assets
}

// The package's ESM build (its `exports` "import" target), found through its package.json so a package that moves
// its files keeps working. It must be one self-contained file: the page resolves no further bare imports.
function browserModule(specifier: string): URL {
  const require = createRequire(import.meta.url)
  const manifestPath = require.resolve(`${specifier}/package.json`)
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { exports: { '.': { import: string } } }
  return new URL(manifest.exports['.'].import, pathToFileURL(manifestPath))
}

// The page's inline import map is a script as far as the content security policy goes: it is admitted by its hash.
function inlineScriptHashes(html: string): string[] {
  return [...html.matchAll(/<script type="importmap">([\s\S]*?)<\/script>/g)].map(
    (match) => `sha256-${createHash('sha256').update(match[1]!).digest('base64')}`,
  )
}

function extension(path: string): string {
  const dot = path.lastIndexOf('.')
  return path === '/' ? '.html' : dot === -1 ? '' : path.slice(dot)
}
