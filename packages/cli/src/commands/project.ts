// Finding the running manager of a project: the manifest names the state directory, the socket lives there.

import { dirname, isAbsolute, join } from 'node:path'
import { ControlClient } from '../control/client.js'
import { cleanStale } from '../control/lock.js'
import { statePaths, type StatePaths } from '../control/paths.js'
import { CliError, notRunning } from '../errors.js'
import { findConfig } from '../manifest/find.js'
import { importManifest } from '../manifest/load.js'

export interface Project {
  file: string
  cwd: string
  paths: StatePaths
}

/** Reads only what a client needs (the state directory); full validation is `svc validate`'s job. */
export async function locateProject(config: string | undefined): Promise<Project> {
  const file = findConfig(config)
  const manifest = await importManifest(file)
  const cwd = dirname(file)
  const stateDir = typeof manifest.stateDir === 'string' ? manifest.stateDir : '.svc'
  return { file, cwd, paths: statePaths(isAbsolute(stateDir) ? stateDir : join(cwd, stateDir)) }
}

/** Connects to the project's manager; says so (exit 3) when none runs, and removes a dead run's socket. */
export async function connectProject(config: string | undefined): Promise<{ project: Project; client: ControlClient }> {
  const project = await locateProject(config)
  try {
    return { project, client: await ControlClient.connect(project.paths.socket) }
  } catch (error) {
    if (error instanceof CliError && error.code === 'SVC_ERR_CLI_NOT_RUNNING') {
      cleanStale(project.paths)
      throw notRunning(project.cwd, project.paths.socket)
    }
    throw error
  }
}
