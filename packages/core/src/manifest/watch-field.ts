// `watch`: restart the service when its files change. `true` watches a Node service's entry directory; the object
// form names the paths (a command service has no entry, so it must name them) and extra patterns to ignore.

import { Checker, describe } from './checks.js'

const WATCH_FIELDS = ['paths', 'ignore']

/** As written: paths relative to the manifest (null: the entry's directory), resolved by normalize. `false`: never
 * watched, not even under `svc up --watch`; null: not set. */
export interface WatchFields {
  paths: string[] | null
  ignore: string[]
}

export function readWatch(c: Checker, value: unknown, kind: 'node' | 'command'): WatchFields | false | null {
  if (value === undefined) return null
  if (value === false) return false
  const accepted = 'true, or { paths: ["./src"], ignore: ["*.log"] }'
  if (value === true) {
    if (kind === 'command') c.fail('watch', 'is true, but a command service has no entry whose directory could be watched: name them, as watch: { paths: ["./src"] }')
    return { paths: null, ignore: [] }
  }
  const w = c.object(value, 'watch', WATCH_FIELDS, accepted)
  if (!w) return null
  const paths = listOf(c, w.paths, 'watch.paths', 'paths relative to the manifest, such as ["./src"]')
  if (paths?.length === 0) c.fail('watch.paths', 'is empty: name at least one path, or leave paths out to watch the entry\'s directory')
  if (!paths && kind === 'command') c.fail('watch.paths', 'is missing: a command service has no entry, so name the paths to watch')
  return { paths: paths ?? null, ignore: listOf(c, w.ignore, 'watch.ignore', 'patterns such as ["*.log", "tmp"]') ?? [] }
}

function listOf(c: Checker, value: unknown, field: string, what: string): string[] | undefined {
  if (value === undefined) return undefined
  if (Array.isArray(value) && value.every((v) => typeof v === 'string' && v !== '')) return value as string[]
  c.fail(field, `must be an array of ${what}, not ${describe(value)}`)
  return undefined
}
