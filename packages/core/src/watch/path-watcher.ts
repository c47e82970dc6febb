// One recursive watch per path, reporting absolute changed paths.
//
// Node's own fs.watch serves here (no chokidar or @parcel/watcher dependency): with `recursive` it is native on macOS
// and Windows, and on Linux (Node ≥ 20) it walks the tree once, adds an inotify watch per directory, follows
// directories created later and reports files written right after watch() returns — what the watch tests check. Its
// one cost is that it cannot skip a subtree: an ignored node_modules below a watched path is still walked and watched
// (its events are dropped by ignore.ts). That is why the default path is the entry's directory, not the project.

import { statSync, watch, type FSWatcher } from 'node:fs'
import { join } from 'node:path'

export interface PathWatcher {
  close(): void
}

/** `failed`: a path that cannot be watched (missing, unreadable): said once, the others keep working. */
export function watchPaths(paths: readonly string[], changed: (path: string) => void, failed: (path: string, error: Error) => void): PathWatcher {
  const watchers: FSWatcher[] = []
  for (const root of new Set(paths)) {
    try {
      // A directory reports the path below it; a file its own name, or nothing.
      const directory = statSync(root).isDirectory()
      const watcher = watch(root, { recursive: directory, persistent: false }, (_event, name) => {
        changed(directory && name ? join(root, String(name)) : root)
      })
      watcher.on('error', (error) => failed(root, error))
      watchers.push(watcher)
    } catch (error) {
      failed(root, error as Error)
    }
  }
  return {
    close() {
      for (const watcher of watchers.splice(0)) watcher.close()
    },
  }
}
