// Where task definitions added at run time, and enabled/disabled changes, survive a restart.
//
// The file is replaced atomically: write a temp file in the same directory, fsync it, rename it over the
// old one, fsync the directory. A crash at any point leaves either the old file or the new one, never a
// torn mix.

import { randomBytes } from 'node:crypto'
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { ErrorCodes, SchedulerError } from './errors.js'
import type { TaskDefinition } from './task.js'

export interface PersistedState {
  // Tasks added with taskAdd (config tasks are not stored; the config is their source).
  tasks: TaskDefinition[]
  // Enabled flags changed with taskStop/taskStart, by task name. Wins over the definition's `enabled`.
  enabled: Record<string, boolean>
}

export interface TaskStore {
  load(): Promise<PersistedState>
  save(state: PersistedState): Promise<void>
}

const FORMAT_VERSION = 1

export function emptyState(): PersistedState {
  return { tasks: [], enabled: {} }
}

export class MemoryTaskStore implements TaskStore {
  #json = JSON.stringify(emptyState())

  async load(): Promise<PersistedState> {
    return JSON.parse(this.#json) as PersistedState
  }

  async save(state: PersistedState): Promise<void> {
    this.#json = JSON.stringify(state)
  }
}

export class FileTaskStore implements TaskStore {
  readonly path: string
  // Saves run one at a time, so an older state can never be renamed over a newer one.
  #queue: Promise<void> = Promise.resolve()

  constructor(path: string) {
    this.path = path
  }

  async load(): Promise<PersistedState> {
    let text: string
    try {
      text = await readFile(this.path, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyState()
      throw error
    }
    try {
      const parsed = JSON.parse(text) as { version?: unknown; tasks?: unknown; enabled?: unknown }
      if (parsed.version !== FORMAT_VERSION || !Array.isArray(parsed.tasks) || typeof parsed.enabled !== 'object' || parsed.enabled === null) {
        throw new Error(`expected { version: ${FORMAT_VERSION}, tasks: [], enabled: {} }`)
      }
      return { tasks: parsed.tasks as TaskDefinition[], enabled: parsed.enabled as Record<string, boolean> }
    } catch (error) {
      throw new SchedulerError(
        ErrorCodes.STATE_FILE_CORRUPT,
        `The scheduler state file ${this.path} cannot be read (${(error as Error).message}). Fix or delete it; deleting loses tasks added at run time.`,
        { cause: error },
      )
    }
  }

  save(state: PersistedState): Promise<void> {
    const run = this.#queue.then(() => this.#write(state))
    this.#queue = run.catch(() => {})
    return run
  }

  async #write(state: PersistedState): Promise<void> {
    const dir = dirname(this.path)
    await mkdir(dir, { recursive: true })
    const temp = join(dir, `.${basename(this.path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
    const body = JSON.stringify({ version: FORMAT_VERSION, ...state }, null, 2) + '\n'
    try {
      const file = await open(temp, 'w', 0o600)
      try {
        await file.writeFile(body, 'utf8')
        await file.sync()
      } finally {
        await file.close()
      }
      await rename(temp, this.path)
    } catch (error) {
      await rm(temp, { force: true })
      throw error
    }
    await syncDir(dir)
  }
}

// Makes the rename itself durable. Some platforms cannot open a directory for fsync; that is only a
// weaker guarantee there, not a failure.
async function syncDir(dir: string): Promise<void> {
  let handle
  try {
    handle = await open(dir, 'r')
    await handle.sync()
  } catch {
    // best effort
  } finally {
    await handle?.close()
  }
}
