// The page's files, read once at start-up: the HTML and CSS from static/, the browser modules compiled by
// `npm run build` (tsc) into dist/. Only these paths are ever served, so no request reaches the file system.

import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { DashboardError } from './errors.js'

export interface Asset {
  body: Buffer
  type: string
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
  return assets
}

function extension(path: string): string {
  const dot = path.lastIndexOf('.')
  return path === '/' ? '.html' : dot === -1 ? '' : path.slice(dot)
}
