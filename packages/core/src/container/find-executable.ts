// Where a command's program is, found the way a shell would (PATH, or a path relative to the working directory):
// inside the service's kernel container the wrapper would find nothing either, and only say "not found" by exit
// status 127 after the process was counted as started.

import { accessSync, constants, statSync } from 'node:fs'
import { delimiter, isAbsolute, join, resolve } from 'node:path'

export function findExecutable(program: string, path: string | undefined, cwd: string): string | null {
  const candidates = program.includes('/') ? [isAbsolute(program) ? program : resolve(cwd, program)] : (path ?? '').split(delimiter).filter(Boolean).map((dir) => join(isAbsolute(dir) ? dir : resolve(cwd, dir), program))
  return candidates.find(isExecutableFile) ?? null
}

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK)
    return statSync(file).isFile()
  } catch {
    return false
  }
}
