// Everything a service writes: stdout/stderr lines (rate-limited, ring-buffered, optionally to a rotating
// file) and the uncaught exceptions it reported, highlighted in the same stream.

import type { SerializedError } from '../errors.js'
import type { ResolvedService } from '../manifest/normalize.js'
import { LogBuffer, type LogLine } from './log-buffer.js'
import { LogFile } from './log-file.js'
import { OutputGate } from './output-gate.js'

export class ServiceOutput {
  readonly #buffer: LogBuffer
  readonly #gate = new OutputGate()
  readonly #file: LogFile | null
  #lastException: SerializedError | undefined

  constructor(
    private readonly service: ResolvedService,
    filePath: string | null,
    private readonly publish: (line: LogLine) => void,
  ) {
    this.#buffer = new LogBuffer(service.logs.bufferLines)
    this.#file = filePath ? new LogFile(filePath, service.logs.maxBytes, service.logs.maxFiles) : null
  }

  line(stream: LogLine['stream'], text: string): void {
    for (const admitted of this.#gate.admit(text)) this.#record(stream, admitted)
  }

  /** An exception the remote reported before dying: kept for the exit report. */
  exception(kind: string, error: SerializedError): void {
    this.#lastException = error
    this.#record('stderr', `[svc] ${kind}: ${error.code ? error.code + ' ' : ''}${error.message}`)
  }

  /** The last reported exception, once: it explains the exit that follows. */
  takeException(): SerializedError | undefined {
    const error = this.#lastException
    this.#lastException = undefined
    return error
  }

  tail(limit?: number): LogLine[] {
    return this.#buffer.tail(limit)
  }

  #record(stream: LogLine['stream'], text: string): void {
    const entry: LogLine = { at: Date.now(), service: this.service.name, stream, line: text }
    this.#buffer.push(entry)
    this.#file?.write(`${new Date(entry.at).toISOString()} ${stream} ${text}`)
    this.publish(entry)
  }
}
