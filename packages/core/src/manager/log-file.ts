// Appends a service's lines to a file, rotating at maxBytes: file → file.1 → … → file.<maxFiles-1>.
// One descriptor, opened again only after a rotation; lines are queued and written in batches off the event loop's
// hot path. Sizes are bytes: a file never exceeds maxBytes, and a line is never split across two files.

import { close, fstat, mkdir, open, rename, rm, write } from 'node:fs'
import { dirname } from 'node:path'
import { promisify } from 'node:util'

/** The file operations LogFile uses; tests count them. */
export interface LogFileIo {
  open(path: string): Promise<number>
  size(fd: number): Promise<number>
  write(fd: number, data: Buffer): Promise<number>
  close(fd: number): Promise<void>
  rename(from: string, to: string): Promise<void>
  remove(path: string): Promise<void>
  mkdir(dir: string): Promise<void>
}

const writeAsync = promisify(write)
export const nodeLogFileIo: LogFileIo = {
  open: (path) => promisify(open)(path, 'a'),
  size: async (fd) => (await promisify(fstat)(fd)).size,
  write: async (fd, data) => (await writeAsync(fd, data, 0, data.length, null)).bytesWritten,
  close: promisify(close),
  rename: async (from, to) => {
    try {
      await promisify(rename)(from, to)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
    }
  },
  remove: (path) => promisify(rm)(path, { force: true }),
  mkdir: async (dir) => void (await promisify(mkdir)(dir, { recursive: true })),
}

/** Queued bytes past which lines are dropped (and counted in a marker) rather than held while the disk lags. */
export const MAX_UNWRITTEN_BYTES = 16 * 1024 * 1024

export class LogFile {
  #queue: Buffer[] = []
  #queuedBytes = 0
  #dropped = 0
  #fd: number | null = null
  #size = 0
  #draining: Promise<void> | null = null
  #failed: Error | null = null

  constructor(
    private readonly path: string,
    private readonly maxBytes: number,
    private readonly maxFiles: number,
    private readonly io: LogFileIo = nodeLogFileIo,
    /** The file cannot be written (any more): told once, since nothing is written to it after that. */
    private readonly onFailure: (error: Error) => void = () => {},
  ) {}

  write(line: string): void {
    if (this.#failed) return
    if (this.#queuedBytes > MAX_UNWRITTEN_BYTES) {
      this.#dropped++
      return
    }
    if (this.#dropped > 0) {
      this.#enqueue(`[svc] ${this.#dropped} lines not written to this file: the disk fell behind`)
      this.#dropped = 0
    }
    this.#enqueue(line)
    this.#draining ??= this.#drain()
  }

  /** No line waits to be written. */
  get idle(): boolean {
    return this.#draining === null
  }

  /** Resolves once every line accepted so far is written. */
  async flush(): Promise<void> {
    while (this.#draining) await this.#draining
  }

  /** Writes what is queued, then closes the descriptor (a later line opens it again). */
  async close(): Promise<void> {
    await this.flush()
    if (this.#fd !== null) {
      const fd = this.#fd
      this.#fd = null
      await this.io.close(fd).catch(() => {}) // nothing left to lose: every line was written
    }
  }

  #enqueue(line: string): void {
    const data = fitLine(line, this.maxBytes)
    this.#queue.push(data)
    this.#queuedBytes += data.length
  }

  async #drain(): Promise<void> {
    try {
      if (this.#fd === null) await this.#open()
      while (this.#queue.length > 0) {
        const batch = this.#take()
        if (batch.length > 0) await this.#writeAll(batch)
        // What is left starts with a line that does not fit the current file.
        if (this.#queue.length > 0) await this.#rotate()
      }
    } catch (e) {
      // A log file that cannot be written must not take the manager down; the ring buffer still has the lines.
      this.#failed = e as Error
      this.#queue = []
      this.#queuedBytes = 0
      this.onFailure(this.#failed)
    } finally {
      this.#draining = null
    }
  }

  // The queued lines that fit in the current file, as one buffer.
  #take(): Buffer {
    let bytes = 0
    let count = 0
    for (const data of this.#queue) {
      if (this.#size + bytes + data.length > this.maxBytes) break
      bytes += data.length
      count++
    }
    if (count === 0 && this.#size === 0) count = 1 // fitLine made it fit an empty file
    const taken = this.#queue.splice(0, count)
    const batch = Buffer.concat(taken)
    this.#queuedBytes -= batch.length
    return batch
  }

  async #writeAll(data: Buffer): Promise<void> {
    let offset = 0
    while (offset < data.length) offset += await this.io.write(this.#fd!, offset === 0 ? data : data.subarray(offset))
    this.#size += data.length
  }

  async #open(): Promise<void> {
    await this.io.mkdir(dirname(this.path))
    this.#fd = await this.io.open(this.path)
    this.#size = await this.io.size(this.#fd)
  }

  async #rotate(): Promise<void> {
    await this.io.close(this.#fd!)
    this.#fd = null
    await this.io.remove(`${this.path}.${this.maxFiles - 1}`)
    for (let i = this.maxFiles - 2; i >= 1; i--) await this.io.rename(`${this.path}.${i}`, `${this.path}.${i + 1}`)
    if (this.maxFiles > 1) await this.io.rename(this.path, `${this.path}.1`)
    else await this.io.remove(this.path)
    await this.#open()
  }
}

// The line and its newline as bytes; a line longer than a whole file is cut at a character boundary to fit one.
function fitLine(line: string, maxBytes: number): Buffer {
  const data = Buffer.from(line + '\n', 'utf8')
  if (data.length <= maxBytes) return data
  let end = Math.max(0, maxBytes - 1)
  while (end > 0 && (data[end]! & 0xc0) === 0x80) end-- // do not cut inside a UTF-8 sequence
  return Buffer.concat([data.subarray(0, end), Buffer.from('\n')])
}
