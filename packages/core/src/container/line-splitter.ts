// Turns a byte stream into lines without holding more than one (capped) partial line in memory.

import { StringDecoder } from 'node:string_decoder'

export const MAX_LINE_LENGTH = 16 * 1024

export class LineSplitter {
  #decoder = new StringDecoder('utf8')
  #partial = ''

  constructor(private readonly onLine: (line: string) => void) {}

  write(chunk: Buffer): void {
    let text = this.#partial + this.#decoder.write(chunk)
    let start = 0
    for (let nl = text.indexOf('\n', start); nl !== -1; nl = text.indexOf('\n', start)) {
      this.#emit(trimCr(text.slice(start, nl)))
      start = nl + 1
    }
    text = text.slice(start)
    // A line longer than the cap is cut into pieces rather than buffered without bound.
    while (text.length > MAX_LINE_LENGTH) {
      this.onLine(text.slice(0, MAX_LINE_LENGTH))
      text = text.slice(MAX_LINE_LENGTH)
    }
    this.#partial = text
  }

  /** Emits what is left (output can arrive after 'exit': call this on the stream's end). */
  end(): void {
    const rest = this.#partial + this.#decoder.end()
    this.#partial = ''
    if (rest.length > 0) this.#emit(trimCr(rest))
  }

  // Every line is cut at the cap, whole ones too: one line of output never costs more than MAX_LINE_LENGTH downstream.
  #emit(line: string): void {
    let at = 0
    for (; line.length - at > MAX_LINE_LENGTH; at += MAX_LINE_LENGTH) this.onLine(line.slice(at, at + MAX_LINE_LENGTH))
    this.onLine(at === 0 ? line : line.slice(at))
  }
}

function trimCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line
}
