// Which changed paths a watch ignores: the defaults (dependencies, git, the manager's own state) and the service's
// `watch.ignore` patterns — a pattern without "/" matches any one path segment, as in .gitignore; one with "/" is
// matched against the path from the manifest's directory, where "**" spans any number of segments.

import { relative, sep } from 'node:path'

/** Installing a package, a git checkout or the manager's own run record must never restart a service. */
export const DEFAULT_IGNORES = ['node_modules', '.git', '.svc']

/** Whether a changed `path`, found under the watched `root`, is ignored. */
export type IgnoreTest = (path: string, root: string) => boolean

/** `base`: the manifest's directory; `stateDir`: absolute, ignored with everything under it. */
export function ignoreTest(patterns: readonly string[], base: string, stateDir: string): IgnoreTest {
  const segment = [...DEFAULT_IGNORES, ...patterns.filter((p) => !p.includes('/'))].map((p) => globRegExp(p))
  const anchored = patterns.filter((p) => p.includes('/')).map((p) => globRegExp(p.replace(/^\.\//, '').replace(/\/$/, '/**')))
  return (path, root) => {
    if (isWithin(path, stateDir)) return true
    // Only the segments below the watched root: a project kept under /tmp must not be ignored by a "tmp" pattern.
    if (relative(root, path).split(sep).some((part) => segment.some((re) => re.test(part)))) return true
    const fromBase = relative(base, path).split(sep).join('/')
    return anchored.some((re) => re.test(fromBase))
  }
}

export function isWithin(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep)
}

// "*" and "?" stay within a segment; "**/" is any number of whole segments, a trailing "**" anything below.
function globRegExp(pattern: string): RegExp {
  let out = ''
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!
    if (pattern.startsWith('**/', i)) {
      out += '(?:.*/)?'
      i += 2
    } else if (pattern.startsWith('**', i)) {
      out += '.*'
      i += 1
    } else if (ch === '*') out += '[^/]*'
    else if (ch === '?') out += '[^/]'
    else out += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&')
  }
  return new RegExp(`^${out}$`)
}
