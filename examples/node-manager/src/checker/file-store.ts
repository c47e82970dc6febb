// The embedded default store: an append-only JSON-lines log, fsynced per write and replayed on open.
// The log is compacted into a snapshot through temp file + fsync + rename, so the file on disk is always
// either the old complete log or the new complete one. A crash mid-append leaves at most one torn last
// line, which open() drops (and truncates) instead of failing.
import { mkdir, open, readFile, rename, truncate, type FileHandle } from 'node:fs/promises'
import { dirname } from 'node:path'
import { debuglog } from 'node:util'
import { errors } from '../errors.ts'
import { acquireLock, type FileLock } from './file-lock.ts'
import type { NodeRecord } from './node-config.ts'
import type { HealthResult, NodeStore, StoredNode } from './store.ts'

const debug = debuglog('svc:nm:file-store')

type LogEntry =
  | { op: 'put'; node: NodeRecord }
  | { op: 'del'; id: string }
  | { op: 'health'; results: HealthResult[] }

export interface FileStoreOptions {
  path: string
  /** Called when open() recovers from a torn write, so the service can log it. */
  onWarning?: (message: string) => void
  /** Compact once this many entries were appended since the last snapshot (default: 4 × nodes, min 64). */
  compactAfter?: number
}

export async function openFileStore(options: FileStoreOptions): Promise<NodeStore> {
  const { path } = options
  await mkdir(dirname(path), { recursive: true })
  const lock = await acquireLock(path)
  try {
    const nodes = await replay(path, options.onWarning)
    const handle = await open(path, 'a')
    return new FileStore(path, nodes, handle, lock, options.compactAfter)
  } catch (error) {
    await lock.release()
    throw error
  }
}

// Reads the log into memory. Only the last line may be unreadable (a torn append); it is cut off so the
// next append starts on a clean line.
async function replay(path: string, onWarning?: (message: string) => void): Promise<Map<string, StoredNode>> {
  const nodes = new Map<string, StoredNode>()
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return nodes
    throw error
  }
  const lines = text.split('\n')
  const lastContent = lines.findLastIndex((line) => line !== '')
  let goodBytes = 0
  for (let i = 0; i <= lastContent; i++) {
    const line = lines[i]!
    if (line === '') {
      goodBytes += 1
      continue
    }
    // A line without its newline was never acknowledged (the append + fsync did not finish).
    const terminated = i < lines.length - 1
    const entry = terminated ? parseEntry(line) : undefined
    if (entry === undefined) {
      if (i !== lastContent) throw errors.storeCorrupt(path, i + 1)
      onWarning?.(`Store file "${path}": dropped a torn last line (${line.length} bytes) left by an interrupted write.`)
      await truncate(path, goodBytes)
      break
    }
    apply(nodes, entry)
    goodBytes += Buffer.byteLength(line) + 1
  }
  debug('replayed %s: %d nodes', path, nodes.size)
  return nodes
}

function parseEntry(line: string): LogEntry | undefined {
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch {
    return undefined
  }
  const entry = value as Partial<LogEntry> & Record<string, unknown>
  if (entry?.op === 'put' && typeof (entry.node as NodeRecord | undefined)?.id === 'string') return entry as LogEntry
  if (entry?.op === 'del' && typeof entry.id === 'string') return entry as LogEntry
  if (entry?.op === 'health' && Array.isArray(entry.results)) return entry as LogEntry
  return undefined
}

// The single state transition, shared by replay and live writes so both always agree.
function apply(nodes: Map<string, StoredNode>, entry: LogEntry): void {
  switch (entry.op) {
    case 'put':
      nodes.set(entry.node.id, structuredClone(entry.node))
      return
    case 'del':
      nodes.delete(entry.id)
      return
    case 'health':
      for (const { id, hash, health } of entry.results) {
        const node = nodes.get(id)
        if (node && node.hash === hash) node.health = health
      }
      return
    default:
      entry satisfies never
  }
}

class FileStore implements NodeStore {
  readonly kind = 'file' as const
  private queue: Promise<unknown> = Promise.resolve()
  private appended = 0
  private closed = false

  constructor(
    private readonly path: string,
    private readonly nodes: Map<string, StoredNode>,
    private handle: FileHandle,
    private readonly lock: FileLock,
    private readonly compactAfter?: number,
  ) {}

  async list(): Promise<StoredNode[]> {
    this.assertOpen()
    return [...this.nodes.values()].map((node) => structuredClone(node))
  }

  put(node: NodeRecord): Promise<void> {
    return this.write({ op: 'put', node })
  }

  async remove(id: string): Promise<boolean> {
    if (!this.nodes.has(id)) {
      this.assertOpen()
      return false
    }
    await this.write({ op: 'del', id })
    return true
  }

  setHealth(results: readonly HealthResult[]): Promise<void> {
    return this.write({ op: 'health', results: [...results] })
  }

  replaceAll(nodes: readonly NodeRecord[]): Promise<void> {
    this.assertOpen()
    return this.serialize(async () => {
      // Build the new state aside: if the snapshot cannot be written, memory still matches the disk.
      const next = new Map<string, StoredNode>()
      for (const node of nodes) apply(next, { op: 'put', node })
      await this.compact(next)
      this.nodes.clear()
      for (const [id, node] of next) this.nodes.set(id, node)
    })
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.queue.catch(() => undefined)
    await this.handle.close()
    await this.lock.release()
  }

  // Memory changes only after the entry is durable, so a failed write leaves both unchanged.
  private write(entry: LogEntry): Promise<void> {
    this.assertOpen()
    return this.serialize(async () => {
      await this.handle.write(JSON.stringify(entry) + '\n')
      await this.handle.datasync()
      apply(this.nodes, entry)
      this.appended++
      if (this.appended >= (this.compactAfter ?? Math.max(64, 4 * this.nodes.size))) await this.compact()
    })
  }

  private serialize<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task)
    this.queue = run.catch(() => undefined)
    return run
  }

  // Writes the current state as a fresh log and swaps it in atomically.
  private async compact(state: ReadonlyMap<string, StoredNode> = this.nodes): Promise<void> {
    const tmp = `${this.path}.tmp`
    const entries: LogEntry[] = []
    const results: HealthResult[] = []
    for (const { health, ...node } of state.values()) {
      entries.push({ op: 'put', node })
      if (health) results.push({ id: node.id, hash: node.hash, health })
    }
    if (results.length > 0) entries.push({ op: 'health', results })
    const out = await open(tmp, 'w')
    try {
      await out.write(entries.map((entry) => JSON.stringify(entry) + '\n').join(''))
      await out.sync()
    } finally {
      await out.close()
    }
    await rename(tmp, this.path)
    await syncDir(dirname(this.path))
    await this.handle.close()
    this.handle = await open(this.path, 'a')
    this.appended = 0
    debug('compacted %s: %d nodes', this.path, state.size)
  }

  private assertOpen(): void {
    if (this.closed) throw errors.storeClosed('file')
  }
}

// The rename is only durable once the directory entry is flushed too.
async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}
