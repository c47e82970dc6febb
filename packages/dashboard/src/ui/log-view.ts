// The selected service's log: its own event stream (tail, then new lines), at most MAX_LINES lines in the
// page, a search box that filters and marks matches, follow (keep the newest line in view), and the
// manager's exception reports highlighted.

import { EXCEPTION_LINE, type LogEvent, type LogLine } from '../protocol.js'
import { openLog, parseEvent } from './api.js'
import { byId, el, setText } from './dom.js'
import { clock, escapeControl } from './format.js'

const MAX_LINES = 2_000
const TAIL_LINES = 500
const DROPPED_LINE = /^\[svc\] \d+ lines? dropped/

interface Entry {
  line: LogLine
  /** The line as shown: control characters spelled (a CR or an escape sequence is text here, as in the terminal). */
  shown: string
  node: HTMLElement
  text: HTMLElement
}

export class LogView {
  readonly #box = byId('log-lines')
  readonly #title = byId('log-service')
  readonly #count = byId('log-count')
  readonly #search = byId<HTMLInputElement>('log-search')
  readonly #follow = byId<HTMLInputElement>('log-follow')
  readonly #entries: Entry[] = []
  #pending: LogLine[] = []
  #frame = 0
  #service: string | null = null
  #stream: EventSource | null = null
  #term = ''

  constructor() {
    this.#search.addEventListener('input', () => {
      this.#term = this.#search.value.trim().toLowerCase()
      for (const entry of this.#entries) this.#paint(entry)
      this.#counts()
      this.#scroll()
    })
    this.#follow.addEventListener('change', () => this.#scroll())
    // Scrolling up to read stops following; the checkbox turns it back on.
    this.#box.addEventListener('scroll', () => {
      const atBottom = this.#box.scrollHeight - this.#box.scrollTop - this.#box.clientHeight < 24
      if (!atBottom && this.#follow.checked) this.#follow.checked = false
    })
  }

  show(service: string | null): void {
    if (service === this.#service) return
    this.#stream?.close()
    this.#stream = null
    this.#service = service
    this.#clear()
    setText(this.#title, service ?? '')
    if (service === null) return
    const stream = openLog(service, TAIL_LINES)
    stream.onmessage = (message: MessageEvent<string>) => this.#receive(parseEvent<LogEvent>(message))
    this.#stream = stream
  }

  /** The dashboard closed: keep what is shown, stop listening. */
  stop(): void {
    this.#stream?.close()
    this.#stream = null
  }

  #receive(event: LogEvent): void {
    switch (event.type) {
      case 'tail':
        // Also after the stream reconnected: the tail replaces what is shown.
        this.#clear()
        this.#queue(event.lines)
        break
      case 'lines':
        this.#queue(event.lines)
        break
      case 'closing':
        this.stop()
        break
      default: {
        const unknown: never = event
        console.warn('unknown log event', unknown)
      }
    }
  }

  // Lines are added once per frame, however fast they arrive.
  #queue(lines: LogLine[]): void {
    this.#pending.push(...lines)
    if (this.#frame === 0) this.#frame = requestAnimationFrame(() => this.#flush())
  }

  #flush(): void {
    this.#frame = 0
    const lines = this.#pending.slice(-MAX_LINES)
    this.#pending = []
    const fragment = document.createDocumentFragment()
    for (const line of lines) {
      const entry = this.#entry(line)
      this.#entries.push(entry)
      fragment.append(entry.node)
    }
    this.#box.append(fragment)
    const excess = this.#entries.length - MAX_LINES
    if (excess > 0) for (const old of this.#entries.splice(0, excess)) old.node.remove()
    this.#counts()
    this.#scroll()
  }

  #entry(line: LogLine): Entry {
    const kind = EXCEPTION_LINE.test(line.line) ? 'exception' : DROPPED_LINE.test(line.line) ? 'marker' : 'line'
    const node = el('div', { class: 'log-line', 'data-stream': line.stream, 'data-kind': kind })
    const text = el('span', { class: 'log-text' })
    node.append(el('time', { datetime: new Date(line.at).toISOString() }, clock(line.at)))
    // In a cluster on NATS, a line another host's instance wrote is named `service@host`: the host is shown.
    const host = line.service.lastIndexOf('@')
    if (host > 0) node.append(el('span', { class: 'log-host' }, line.service.slice(host + 1)))
    node.append(text)
    const entry = { line, shown: escapeControl(line.line), node, text }
    this.#paint(entry)
    return entry
  }

  // The line's text, with every match of the search term in a <mark>; lines without a match are hidden.
  #paint(entry: Entry): void {
    const text = entry.shown
    const term = this.#term
    if (term === '') {
      entry.node.hidden = false
      if (entry.text.childElementCount > 0 || entry.text.textContent !== text) entry.text.textContent = text
      return
    }
    const lower = text.toLowerCase()
    let at = lower.indexOf(term)
    entry.node.hidden = at === -1
    if (at === -1) return
    const parts: (string | HTMLElement)[] = []
    let from = 0
    while (at !== -1) {
      parts.push(text.slice(from, at), el('mark', {}, text.slice(at, at + term.length)))
      from = at + term.length
      at = lower.indexOf(term, from)
    }
    parts.push(text.slice(from))
    entry.text.replaceChildren(...parts)
  }

  #counts(): void {
    const total = this.#entries.length
    if (this.#term === '') return setText(this.#count, `${total} lines`)
    const shown = this.#entries.filter((e) => !e.node.hidden).length
    setText(this.#count, `${shown} of ${total} lines match`)
  }

  #scroll(): void {
    if (this.#follow.checked) this.#box.scrollTop = this.#box.scrollHeight
  }

  #clear(): void {
    this.#entries.length = 0
    this.#pending = []
    this.#box.replaceChildren()
    this.#counts()
  }
}
