// Manifest unit tests' shared helpers: normalise a services object as the manager would (entries resolved under
// /project without touching the disk), or collect the problems it is refused with.
import { expect } from '@jest/globals'
import type { ManifestProblem } from '../../src/manifest/checks.js'
import { normalizeManifest } from '../../src/manifest/normalize.js'
import type { Manifest } from '../../src/manifest/types.js'

const entryIn = (_name: string, entry: string, cwd: string) => `${cwd}/${entry.replace(/^\.\//, '')}`

export const normalize = (services: unknown) => normalizeManifest({ services } as Manifest, '/project', entryIn)

/** The problems SVC_ERR_MANIFEST_INVALID lists for these services; throws if they are accepted. */
export function problemsOf(services: unknown): ManifestProblem[] {
  try {
    normalize(services)
  } catch (error) {
    const e = error as { code: string; details?: { problems?: ManifestProblem[] } }
    expect(e.code).toBe('SVC_ERR_MANIFEST_INVALID')
    return e.details?.problems ?? []
  }
  throw new Error('the manifest was accepted')
}
