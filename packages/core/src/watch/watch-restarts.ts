// Watch mode: a change under a service's watched paths restarts it through the graph's rules (manager.restart:
// dependents closed first, then all started again in dependency order). Changes are debounced — an editor's save or
// a `git checkout` is many events — and restarts never overlap: what changes during one is restarted after it.

import { debuglog } from 'node:util'
import type { ResolvedWatch } from '../manifest/normalize.js'
import { ignoreTest, isWithin, type IgnoreTest } from './ignore.js'
import { watchPaths, type PathWatcher } from './path-watcher.js'

const trace = debuglog('svc:watch')

/** Quiet time after the last change before restarting: long enough to gather one save or checkout. */
export const WATCH_DEBOUNCE_MS = 200

export interface WatchHost {
  /** The services to watch now, with what each watches. */
  watched(): { name: string; watch: ResolvedWatch }[]
  /** Whether a change restarts it now (it runs or crashed; not stopped by hand, never started, or going away). */
  restartable(name: string): boolean
  /** Their dependents that run now: a restart closes them first. */
  runningDependents(names: string[]): string[]
  /** Restarts `names` (with their running dependents), then starts `andStart`. */
  restart(names: string[], andStart: string[]): Promise<void>
  /** A batch of changes is about to restart these services. */
  changed(services: string[], files: string[]): void
  notice(service: string, message: string): void
}

interface Watched {
  name: string
  paths: string[]
  ignored: IgnoreTest
}

export class WatchRestarts {
  readonly #host: WatchHost
  readonly #base: string
  readonly #stateDir: string
  readonly #debounceMs: number
  #services: Watched[] = []
  #watcher: PathWatcher | null = null
  /** Changed files by service, gathered until the debounce fires. */
  readonly #pending = new Map<string, Set<string>>()
  #timer: NodeJS.Timeout | null = null
  #restarting: Promise<void> | null = null
  /** Dependents that a failed restart of a service left closed: started again with its next good restart. */
  readonly #owed = new Map<string, Set<string>>()

  constructor(host: WatchHost, options: { base: string; stateDir: string; debounceMs?: number }) {
    this.#host = host
    this.#base = options.base
    this.#stateDir = options.stateDir
    this.#debounceMs = options.debounceMs ?? WATCH_DEBOUNCE_MS
  }

  get active(): boolean {
    return this.#watcher !== null
  }

  /** Watches what the host says now; called again after the graph changed (svc apply), it re-reads it. */
  start(): void {
    this.#watcher?.close()
    this.#services = this.#host.watched().map(({ name, watch }) => ({
      name,
      paths: watch.paths,
      ignored: ignoreTest(watch.ignore, this.#base, this.#stateDir),
    }))
    const paths = this.#services.flatMap((s) => s.paths)
    trace('watching %o', paths)
    this.#watcher = watchPaths(paths, (path) => this.#onChange(path), (path, error) => {
      for (const s of this.#services.filter((s) => s.paths.includes(path))) this.#host.notice(s.name, `cannot watch ${path}: ${error.message}`)
    })
  }

  stop(): void {
    this.#watcher?.close()
    this.#watcher = null
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = null
    this.#pending.clear()
  }

  #onChange(path: string): void {
    const services = this.#services.filter((s) => {
      const root = s.paths.find((p) => isWithin(path, p))
      return root !== undefined && !s.ignored(path, root)
    })
    if (services.length === 0 || !this.#watcher) return
    for (const s of services) {
      trace('%s: %s changed', s.name, path)
      const files = this.#pending.get(s.name) ?? new Set()
      files.add(path)
      this.#pending.set(s.name, files)
    }
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = setTimeout(() => this.#flush(), this.#debounceMs)
  }

  #flush(): void {
    this.#timer = null
    if (this.#restarting) return // picked up when the running restart is done
    const batch = [...this.#pending].filter(([name]) => this.#host.restartable(name))
    this.#pending.clear()
    if (batch.length === 0) return
    const services = batch.map(([name]) => name)
    const files = [...new Set(batch.flatMap(([, f]) => [...f]))]
    this.#host.changed(services, files)
    const down = this.#host.runningDependents(services)
    const owed = [...new Set(services.flatMap((name) => [...(this.#owed.get(name) ?? [])]))]
    this.#restarting = this.#host
      .restart(services, owed)
      .then(() => {
        for (const name of services) this.#owed.delete(name)
      })
      .catch((error: Error) => {
        if (!this.#watcher) return // the manager is closing: not a failure of the new code
        // A half-written edit often fails to start: the next save tries again, and brings its dependents back.
        for (const name of services) {
          this.#owed.set(name, new Set([...(this.#owed.get(name) ?? []), ...down, ...owed]))
          this.#host.notice(name, `restart after a change failed (${error.message}); waiting for the next change`)
        }
      })
      .finally(() => {
        this.#restarting = null
        if (this.#pending.size > 0 && this.#watcher) this.#flush()
      })
  }
}
