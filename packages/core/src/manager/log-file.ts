// Appends a service's lines to a file, rotating at maxBytes: file → file.1 → … → file.<maxFiles-1>.

import { appendFileSync, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs'
import { dirname } from 'node:path'

export class LogFile {
  #size: number

  constructor(
    private readonly path: string,
    private readonly maxBytes: number,
    private readonly maxFiles: number,
  ) {
    mkdirSync(dirname(path), { recursive: true })
    this.#size = existsSync(path) ? statSync(path).size : 0
  }

  // Synchronous on purpose: lines are already rate-limited, and a crash must not lose what was accepted.
  write(line: string): void {
    const text = line + '\n'
    if (this.#size + text.length > this.maxBytes && this.#size > 0) this.#rotate()
    appendFileSync(this.path, text)
    this.#size += Buffer.byteLength(text)
  }

  #rotate(): void {
    rmSync(`${this.path}.${this.maxFiles - 1}`, { force: true })
    for (let i = this.maxFiles - 2; i >= 1; i--) {
      if (existsSync(`${this.path}.${i}`)) renameSync(`${this.path}.${i}`, `${this.path}.${i + 1}`)
    }
    if (this.maxFiles > 1) renameSync(this.path, `${this.path}.1`)
    else rmSync(this.path, { force: true })
    this.#size = 0
  }
}
