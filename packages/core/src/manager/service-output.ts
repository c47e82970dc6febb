// Everything a service writes: stdout/stderr lines (rate-limited, ring-buffered, optionally to a rotating
// file) and the uncaught exceptions it reported, highlighted in the same stream.

import { userFrames, type SerializedError } from '../errors.js'
import type { ResolvedService } from '../manifest/normalize.js'
import { LogBuffer, type LogLine } from './log-buffer.js'
import { LogFile } from './log-file.js'
import { OutputGate } from './output-gate.js'

/** After a line is dropped, the drops not yet reported are reported this long after, if no line let through has. */
export const DROP_REPORT_MS = 1000

/** Lines recorded per stream (markers and reported exceptions included) and lines the gate dropped, since the
 * service was added: counters for the metrics. */
export interface OutputCounts {
  stdout: number
  stderr: number
  dropped: number
}

export class ServiceOutput {
  readonly counts: OutputCounts = { stdout: 0, stderr: 0, dropped: 0 }
  readonly #buffer: LogBuffer
  readonly #gate = new OutputGate()
  readonly #file: LogFile | null
  #lastException: SerializedError | undefined
  #dropTimer: NodeJS.Timeout | null = null
  #dropStream: LogLine['stream'] = 'stdout'

  constructor(
    private readonly service: ResolvedService,
    filePath: string | null,
    private readonly publish: (line: LogLine) => void,
  ) {
    this.#buffer = new LogBuffer(service.logs.bufferLines)
    // A file that cannot be written is said once in the service's log: its lines stay in the ring buffer only.
    this.#file = filePath
      ? new LogFile(filePath, service.logs.maxBytes, service.logs.maxFiles, undefined, (error) =>
          this.#record('stderr', `[svc] cannot write the log file ${filePath} (${error.message}); its lines are kept in memory only`),
        )
      : null
  }

  line(stream: LogLine['stream'], text: string): void {
    const admitted = this.#gate.admit(text)
    for (const line of admitted) this.#record(stream, line)
    if (admitted.length === 0) this.counts.dropped++
    if (admitted.length > 0 || this.#dropTimer) return
    // A burst can end with this drop: say so even if the service never writes again.
    this.#dropStream = stream
    this.#dropTimer = setTimeout(() => this.reportDrops(), DROP_REPORT_MS).unref()
  }

  /** Records the marker for lines dropped and not yet reported (also called when the service exits). */
  reportDrops(): void {
    if (this.#dropTimer) clearTimeout(this.#dropTimer)
    this.#dropTimer = null
    const marker = this.#gate.report()
    if (marker !== null) this.#record(this.#dropStream, marker)
  }

  /** An exception the remote reported before dying (or the error its start failed with): kept for the exit report.
   * This is the one place its stack is written; the runner writes it to stderr only when it could not report it. */
  exception(kind: string, error: SerializedError): void {
    this.#lastException = error
    this.#record('stderr', `[svc] ${kind}: ${error.code ? error.code + ' ' : ''}${error.message}`)
    for (const frame of userFrames(error.stack)) this.#record('stderr', frame)
  }

  /** The last reported exception, once: it explains the exit that follows. */
  takeException(): SerializedError | undefined {
    const error = this.#lastException
    this.#lastException = undefined
    return error
  }

  /** No recorded line waits to be written to the log file. */
  get flushed(): boolean {
    return this.#file?.idle ?? true
  }

  /** Resolves once every line recorded so far is in the log file. */
  flush(): Promise<void> {
    return this.#file?.flush() ?? Promise.resolve()
  }

  /** Flushes the log file and closes its descriptor. */
  close(): Promise<void> {
    return this.#file?.close() ?? Promise.resolve()
  }

  tail(limit?: number): LogLine[] {
    return this.#buffer.tail(limit)
  }

  #record(stream: LogLine['stream'], text: string): void {
    const entry: LogLine = { at: Date.now(), service: this.service.name, stream, line: ownCopy(text) }
    this.counts[stream]++
    this.#buffer.push(entry)
    this.#file?.write(`${new Date(entry.at).toISOString()} ${stream} ${text}`)
    this.publish(entry)
  }
}

// A line the splitter cut is a slice of the whole chunk it arrived in (up to 64 KiB), which it keeps alive: during a
// flood nearly every line the gate lets through comes from another chunk, so a ring of 1000 pinned ≈ 64 MiB.
// Recorded lines are at most the gate's rate: copying them costs little.
function ownCopy(text: string): string {
  return Buffer.from(text, 'utf8').toString('utf8')
}
