// Loads svc.config.* with jiti and validates it with core's normalizeManifest, before anything starts.

import { normalizeManifest, type Manifest, type ResolvedManifest } from '@services-cluster/core'
import { createJiti } from 'jiti'
import { dirname } from 'node:path'
import { cliError } from '../errors.js'
import { findConfig } from './find.js'
import { loadFailure, manifestFailure } from './problems.js'

export interface LoadedManifest {
  /** Absolute path of the manifest file. */
  file: string
  /** The project directory: entries and the state directory are resolved against it. */
  cwd: string
  manifest: Manifest
  resolved: ResolvedManifest
}

/** Finds, imports and validates the manifest; every problem becomes a CliError that names file, service and field. */
export async function loadManifest(options: { config?: string; cwd?: string } = {}): Promise<LoadedManifest> {
  const file = findConfig(options.config, options.cwd)
  const manifest = await importManifest(file)
  const cwd = dirname(file)
  try {
    return { file, cwd, manifest, resolved: normalizeManifest(manifest, cwd) }
  } catch (error) {
    throw manifestFailure(error, file)
  }
}

export async function importManifest(file: string): Promise<Manifest> {
  const jiti = createJiti(import.meta.url, { moduleCache: false })
  let value: unknown
  try {
    value = await jiti.import(file, { default: true })
  } catch (error) {
    throw loadFailure(error, file)
  }
  if (!value || typeof value !== 'object') {
    throw cliError('SVC_ERR_CLI_MANIFEST', `The manifest does not export a configuration (its default export is ${value === undefined ? 'missing' : typeof value}).`, {
      location: file,
      file,
      causeCode: 'SVC_ERR_MANIFEST_INVALID',
      hint: 'End the file with: export default defineServices({ services: { ... } })',
    })
  }
  return value as Manifest
}
